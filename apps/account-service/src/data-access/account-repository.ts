import type { EntityManager } from 'typeorm';
import type { AccountRecord, AccountStore } from '../domain/withdraw-money';
import { centsFromDecimal, decimalOf } from '@trx/service-kit';
import { AccountEntity, WithdrawalEntity } from './account-entities';

/** An AccountStore on one EntityManager: inside a branch, every statement is part of it. */
export function accountStore(manager: EntityManager): AccountStore {
  return {
    async find(accountId) {
      const row = await manager.findOneBy(AccountEntity, { id: accountId });
      return row ? toRecord(row) : undefined;
    },

    async listByCustomer(customerId) {
      const rows = await manager.find(AccountEntity, { where: { customerId }, order: { id: 'ASC' } });
      return rows.map(toRecord);
    },

    async debit(accountId, cents) {
      // One conditional statement: the row lock and the re-check after it make concurrent
      // debits queue up, and none can pass the balance below zero.
      const [rows] = (await manager.query(
        'UPDATE accounts SET balance = balance - $2::numeric WHERE id = $1 AND balance >= $2::numeric RETURNING balance',
        [accountId, decimalOf(cents)],
      )) as [{ balance: string }[], number];
      const row = rows[0];
      return row ? centsFromDecimal(row.balance) : undefined;
    },

    async recordWithdrawal({ accountId, amountCents, transactionId }) {
      await manager.insert(WithdrawalEntity, { accountId, amount: decimalOf(amountCents), transactionId });
    },
  };
}

function toRecord(row: AccountEntity): AccountRecord {
  return { id: row.id, customerId: row.customerId, balanceCents: centsFromDecimal(row.balance) };
}
