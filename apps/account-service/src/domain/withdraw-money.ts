import {
  CustomerCannotPayError,
  InsufficientFundsError,
  UnknownAccountError,
  UnknownCustomerError,
} from './account-errors';
import { amountOf } from '@trx/service-kit';

export interface AccountRecord {
  id: number;
  customerId: number;
  balanceCents: number;
}

/** What the rules need from storage, bound to one database transaction (or none, for reads). */
export interface AccountStore {
  find(accountId: number): Promise<AccountRecord | undefined>;
  /** A customer's accounts by id, the first `limit` after account `afterId`. */
  listByCustomer(customerId: number, limit: number, afterId?: number): Promise<AccountRecord[]>;
  /**
   * Takes the amount only if the balance covers it, and then records the withdrawal, all in
   * one statement; the new balance, or undefined when nothing was taken.
   */
  debit(withdrawal: {
    accountId: number;
    amountCents: number;
    transactionId: string | null;
  }): Promise<number | undefined>;
  /** Whether the customer has any account at all. */
  hasAccount(customerId: number): Promise<boolean>;
}

/**
 * Debits the customer's first account (lowest id) whose balance covers the amount and
 * records the withdrawal, all in one statement that is its transaction's whole work (the
 * request's branch, or a local commit); the account and its new balance, or undefined when
 * no account covers it or the customer has none (and nothing was written).
 */
export type DebitFirstCovering = (charge: {
  customerId: number;
  amountCents: number;
}) => Promise<{ accountId: number; balanceCents: number } | undefined>;

export interface AccountView {
  id: number;
  customerId: number;
  balance: number;
}

export interface WithdrawalView {
  accountId: number;
  amount: number;
  balance: number;
}

/**
 * Withdraws `amountCents` from an account. The balance check, the debit and the withdrawal
 * row are one statement, so concurrent withdrawals can never take the balance below zero.
 */
export async function withdraw(
  store: AccountStore,
  accountId: number,
  amountCents: number,
  transactionId: string | null,
): Promise<WithdrawalView> {
  const balanceCents = await store.debit({ accountId, amountCents, transactionId });
  if (balanceCents === undefined) {
    const account = await store.find(accountId);
    if (!account) throw new UnknownAccountError(accountId);
    throw new InsufficientFundsError(accountId, amountOf(amountCents), amountOf(account.balanceCents));
  }
  return { accountId, amount: amountOf(amountCents), balance: amountOf(balanceCents) };
}

export interface ChargeView extends WithdrawalView {
  customerId: number;
}

/**
 * Charges a customer `amountCents` from their first account whose balance covers it. The
 * choice, the debit and the withdrawal row are one statement, so the caller needs no read
 * of the balances first, and a balance that changes meanwhile can't refuse a charge another
 * account covers. Only a refusal costs a second statement, to tell "no account" from "none
 * covers".
 */
export async function chargeCustomer(
  debitFirstCovering: DebitFirstCovering,
  store: AccountStore,
  customerId: number,
  amountCents: number,
): Promise<ChargeView> {
  const debited = await debitFirstCovering({ customerId, amountCents });
  if (!debited) {
    if (!(await store.hasAccount(customerId))) throw new UnknownCustomerError(customerId);
    throw new CustomerCannotPayError(customerId, amountOf(amountCents));
  }
  const { accountId, balanceCents } = debited;
  return { customerId, accountId, amount: amountOf(amountCents), balance: amountOf(balanceCents) };
}

export async function getAccount(store: AccountStore, accountId: number): Promise<AccountView> {
  const account = await store.find(accountId);
  if (!account) throw new UnknownAccountError(accountId);
  return toView(account);
}

export async function listAccounts(
  store: AccountStore,
  customerId: number,
  limit: number,
  afterId?: number,
): Promise<AccountView[]> {
  return (await store.listByCustomer(customerId, limit, afterId)).map(toView);
}

function toView(account: AccountRecord): AccountView {
  return { id: account.id, customerId: account.customerId, balance: amountOf(account.balanceCents) };
}
