import type { ServiceCaller } from '@trx/discovery';
import type { AccountGateway } from '../domain/ports';
import type { Account, Withdrawal } from '../domain/order-types';
import {
  branchHeaders,
  callParticipant,
  enlistedBranch,
  failFromReply,
  isSuccess,
  type ErrorReply,
} from './participant-call';

export const ACCOUNT_SERVICE = 'account-service';

interface AccountReply {
  id: number;
  customerId: number;
  balance: number;
}

/** account-service over HTTP: reads are plain, a withdrawal is a branch of the order's transaction. */
export class HttpAccountGateway implements AccountGateway {
  constructor(private readonly caller: ServiceCaller) {}

  /** The customer's first 100 accounts (the largest page: one call; an order pays from one of them). */
  async accountsOf(customerId: number): Promise<Account[]> {
    const response = await callParticipant<{ items: AccountReply[] }>(this.caller, ACCOUNT_SERVICE, {
      method: 'GET',
      url: '/accounts',
      params: { customerId, limit: 100 },
    });
    if (!isSuccess(response)) failFromReply(ACCOUNT_SERVICE, response);
    const { items } = response.data as { items: AccountReply[] };
    return items.map((a) => ({ id: a.id, balance: Number(a.balance) }));
  }

  async withdraw(
    transactionId: string | undefined,
    accountId: number,
    amount: number,
  ): Promise<Withdrawal | undefined> {
    const response = await callParticipant(this.caller, ACCOUNT_SERVICE, {
      method: 'POST',
      url: `/accounts/${accountId}/withdrawals`,
      data: { amount },
      headers: branchHeaders(transactionId),
    });
    if (isSuccess(response)) return { branch: enlistedBranch(ACCOUNT_SERVICE, response) };
    if ((response.data as ErrorReply | undefined)?.error === 'insufficient-funds') return undefined;
    return failFromReply(ACCOUNT_SERVICE, response);
  }
}
