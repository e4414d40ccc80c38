import { Router } from 'express';
import { z } from 'zod';
import type { Participant } from '@trx/participant';
import { allowCallers, centsOf, parseRequest as parse, runForRequest } from '@trx/service-kit';
import type { DataSource } from 'typeorm';
import { getAccount, listAccounts, withdraw } from '../domain/withdraw-money';
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
 * by `x-transaction-id` when the header is present (enlisted by the caller, with the gid
 * answered in `x-transaction-branch`, when it sends `x-transaction-enlist: initiator`),
 * a plain local commit otherwise. Balances are personal data: every route, reads included,
 * answers only the order-service and the operator.
 */
export function accountRoutes(dataSource: DataSource, participant: Participant): Router {
  const router = Router();
  router.use('/accounts', allowCallers('order-service', 'operator'));

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
    const result = await runForRequest(participant, req, res, (manager, transactionId) =>
      withdraw(accountStore(manager), accountId, centsOf(amount)!, transactionId),
    );
    res.status(201).json(result);
  });

  return router;
}
