import type { EntityManager } from 'typeorm';
import type { BranchStatement } from '@trx/participant';
import type { AccountRecord, AccountStore, DebitFirstCovering } from '../domain/withdraw-money';
import { centsFromDecimal, decimalOf, rowsUnlessRefused, type OneTrip } from '@trx/service-kit';

interface AccountRow {
  id: number;
  customer_id: number;
  balance: string;
}

/**
 * An AccountStore on one EntityManager: inside a branch, every statement is part of it. Plain
 * SQL through `manager.query`: each method is one statement, and the query builder's work per
 * statement (aliasing, property-name rewriting, hydration) was a sizeable share of the CPU
 * of an order. The entities remain the schema's description.
 */
export function accountStore(manager: EntityManager): AccountStore {
  return {
    async find(accountId) {
      const rows = (await manager.query('SELECT id, customer_id, balance FROM accounts WHERE id = $1', [
        accountId,
      ])) as AccountRow[];
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async listByCustomer(customerId, limit, afterId = 0) {
      const rows = (await manager.query(
        'SELECT id, customer_id, balance FROM accounts WHERE customer_id = $1 AND id > $2 ORDER BY id LIMIT $3',
        [customerId, afterId, limit],
      )) as AccountRow[];
      return rows.map(toRecord);
    },

    async debit({ accountId, amountCents, transactionId }) {
      // One round trip. The UPDATE is conditional: the row lock and the re-check after it make
      // concurrent debits queue up, and none can pass the balance below zero. The withdrawal
      // row is inserted only when the UPDATE took the money; a data-modifying CTE runs
      // whether or not the final SELECT reads it.
      const rows = (await manager.query(
        `WITH debited AS (
           UPDATE accounts SET balance = balance - $2::numeric WHERE id = $1 AND balance >= $2::numeric
           RETURNING id, balance
         ), recorded AS (
           INSERT INTO withdrawals (account_id, amount, transaction_id)
           SELECT id, $2::numeric, $3::text FROM debited
         )
         SELECT balance FROM debited`,
        [accountId, decimalOf(amountCents), transactionId],
      )) as { balance: string }[];
      return rows[0] ? centsFromDecimal(rows[0].balance) : undefined;
    },

    async hasAccount(customerId) {
      const rows = (await manager.query(
        'SELECT EXISTS (SELECT 1 FROM accounts WHERE customer_id = $1) AS found',
        [customerId],
      )) as { found: boolean }[];
      return rows[0]?.found === true;
    },
  };
}

/**
 * DebitFirstCovering as one statement sent by `trip` (the request's branch or local commit,
 * in one round trip with its closing statements: see debitFirstCoveringStatement).
 */
export function debitFirstCovering(trip: OneTrip): DebitFirstCovering {
  return async (charge) => {
    const rows = await rowsUnlessRefused<{ id: number; balance: string }>(
      trip((transactionId) => [debitFirstCoveringStatement({ ...charge, transactionId })]),
    );
    const row = rows?.[0];
    return row ? { accountId: row.id, balanceCents: centsFromDecimal(row.balance) } : undefined;
  };
}

/**
 * The charge in one statement, on accounts_customer_id_idx. `chosen` locks the first covering
 * account. A row another charge holds is waited for, then re-checked against its newest
 * balance and skipped if it no longer covers (the lock sits below the LIMIT, which then takes
 * the next row): a concurrent charge moves this one to another account instead of refusing
 * it. A skipped row stays locked until this branch ends, as any row lock does; locks are
 * taken in id order, so two charges of one customer can't deadlock. The UPDATE repeats the
 * condition, as debit's does, so only a covering balance is ever debited; the withdrawal row
 * is inserted only when the UPDATE took the money. When nothing was debited, `trx_expect`
 * raises (SQLSTATE TRX02), so what is pipelined after the statement — PREPARE TRANSACTION, or
 * the commit — never runs.
 */
export function debitFirstCoveringStatement(c: {
  customerId: number;
  amountCents: number;
  transactionId: string | null;
}): BranchStatement {
  return {
    text: `WITH chosen AS (
             SELECT id FROM accounts
              WHERE customer_id = $1 AND balance >= $2::numeric
              ORDER BY id LIMIT 1
              FOR UPDATE
           ), debited AS (
             UPDATE accounts a SET balance = a.balance - $2::numeric
               FROM chosen WHERE a.id = chosen.id AND a.balance >= $2::numeric
             RETURNING a.id, a.balance
           ), recorded AS (
             INSERT INTO withdrawals (account_id, amount, transaction_id)
             SELECT id, $2::numeric, $3::text FROM debited
           )
           SELECT debited.id, debited.balance
             FROM (SELECT count(*) AS n FROM debited) AS counted LEFT JOIN debited ON true
            WHERE trx_expect(counted.n > 0, 'nothing debited')`,
    values: [c.customerId, decimalOf(c.amountCents), c.transactionId],
  };
}

function toRecord(row: AccountRow): AccountRecord {
  return { id: row.id, customerId: row.customer_id, balanceCents: centsFromDecimal(row.balance) };
}
