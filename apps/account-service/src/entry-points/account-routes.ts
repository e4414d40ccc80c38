import { Router } from 'express';
import { z } from 'zod';
import type { Participant } from '@trx/participant';
import {
  allowCallers,
  centsOf,
  decodeCursor,
  InvalidRequestError,
  pageOf,
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  parseRequest as parse,
  oneTripFor,
  runForRequest,
} from '@trx/service-kit';
import type { DataSource } from 'typeorm';
import { chargeCustomer, getAccount, listAccounts, withdraw } from '../domain/withdraw-money';
import { accountStore, debitFirstCovering } from '../data-access/account-repository';

const id = z.coerce.number().int().positive().max(2_147_483_647);
// Strict: a field this API does not know is a client's mistake, not something to drop silently.
const withdrawalBody = z
  .object({
    amount: z
      .number()
      .positive()
      .refine((a) => centsOf(a) !== undefined, 'must have at most 2 decimals and fit numeric(14,2)'),
  })
  .strict();

/** A withdrawal's amount in cents, from a body `withdrawalBody` accepts (400 otherwise). */
function amountCentsOf(body: unknown): number {
  const { amount } = parse(withdrawalBody, body, 'body must be {"amount": positive number, ≤ 2 decimals}');
  return centsOf(amount)!;
}

const listQuery = z
  .object({
    customerId: id,
    limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).optional(),
    cursor: z.string().min(1).max(400).optional(),
  })
  .strict();

/** The account id a cursor of this list stands for; 400 for anything else. */
function accountAfter(cursor: string): number {
  const [after] = decodeCursor(cursor, ['number']) ?? [];
  if (typeof after !== 'number' || after < 0) {
    throw new InvalidRequestError('cursor is not one this list gave out', [
      { path: 'cursor', message: 'pass the `next` of the previous page unchanged' },
    ]);
  }
  return after;
}

/**
 * The account API. A withdrawal — `POST /accounts/:id/withdrawals` from one account, or
 * `POST /customers/:id/withdrawals` from the customer's first account that covers it — is a
 * branch of the transaction named by `x-transaction-id` when the header is present
 * (enlisted by the caller, with the gid answered in `x-transaction-branch`, when it sends
 * `x-transaction-enlist: initiator`), a plain local commit otherwise. Balances are personal
 * data: every route, reads included, answers only the order-service and the operator.
 */
export function accountRoutes(dataSource: DataSource, participant: Participant): Router {
  const router = Router();
  router.use(['/accounts', '/customers'], allowCallers('order-service', 'operator'));

  router.get('/accounts', async (req, res) => {
    const query = parse(listQuery, req.query, 'customerId must be a positive integer; limit 1..100');
    const limit = query.limit ?? PAGE_LIMIT_DEFAULT;
    const after = query.cursor === undefined ? undefined : accountAfter(query.cursor);
    const rows = await listAccounts(accountStore(dataSource.manager), query.customerId, limit + 1, after);
    res.json(
      pageOf(
        rows,
        limit,
        (a) => [a.id],
        (a) => a,
      ),
    );
  });

  router.get('/accounts/:id', async (req, res) => {
    const accountId = parse(id, req.params.id, 'account id must be a positive integer');
    res.json(await getAccount(accountStore(dataSource.manager), accountId));
  });

  router.post('/accounts/:id/withdrawals', async (req, res) => {
    const accountId = parse(id, req.params.id, 'account id must be a positive integer');
    const cents = amountCentsOf(req.body);
    const result = await runForRequest(participant, req, res, (manager, transactionId) =>
      withdraw(accountStore(manager), accountId, cents, transactionId),
    );
    res.status(201).json(result);
  });

  // An order's payment in one call: no read of the balances first (see chargeCustomer).
  router.post('/customers/:id/withdrawals', async (req, res) => {
    const customerId = parse(id, req.params.id, 'customer id must be a positive integer');
    const cents = amountCentsOf(req.body);
    // The charge is its branch's (or local commit's) whole work: one round trip.
    const debit = debitFirstCovering(oneTripFor(participant, req, res));
    const result = await chargeCustomer(debit, accountStore(dataSource.manager), customerId, cents);
    res.status(201).json(result);
  });

  return router;
}
