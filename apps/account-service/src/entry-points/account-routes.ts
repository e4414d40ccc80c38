import { Router, type Request } from 'express';
import { z } from 'zod';
import { TRANSACTION_HEADER } from '@trx/protocol';
import type { Participant } from '@trx/participant';
import type { DataSource } from 'typeorm';
import { getAccount, listAccounts, withdraw } from '../domain/withdraw-money';
import { InvalidRequestError } from '../domain/account-errors';
import { centsOf } from '../domain/money';
import { accountStore } from '../data-access/account-repository';

const id = z.coerce.number().int().positive().max(2_147_483_647);
const withdrawalBody = z.object({
  amount: z
    .number()
    .positive()
    .refine((a) => centsOf(a) !== undefined, 'must have at most 2 decimals and fit numeric(14,2)'),
});

/**
 * The account API. `POST /accounts/:id/withdrawals` is a branch of the transaction named
 * by `x-transaction-id` when the header is present, a plain local commit otherwise.
 */
export function accountRoutes(dataSource: DataSource, participant: Participant): Router {
  const router = Router();

  router.get('/accounts', async (req, res) => {
    const customerId = parse(id, req.query.customerId, 'customerId must be a positive integer');
    res.json(await listAccounts(accountStore(dataSource.manager), customerId));
  });

  router.get('/accounts/:id', async (req, res) => {
    const accountId = parse(id, req.params.id, 'account id must be a positive integer');
    res.json(await getAccount(accountStore(dataSource.manager), accountId));
  });

  router.post('/accounts/:id/withdrawals', async (req, res) => {
    const accountId = parse(id, req.params.id, 'account id must be a positive integer');
    const { amount } = parse(
      withdrawalBody,
      req.body,
      'body must be {"amount": positive number, ≤ 2 decimals}',
    );
    const transactionId = transactionIdOf(req);
    const result = await participant.run(transactionId, (manager) =>
      withdraw(accountStore(manager), accountId, centsOf(amount)!, transactionId ?? null),
    );
    res.status(201).json(result);
  });

  return router;
}

function transactionIdOf(req: Request): string | undefined {
  const value = req.get(TRANSACTION_HEADER)?.trim();
  return value ? value : undefined;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new InvalidRequestError(message, details);
}
