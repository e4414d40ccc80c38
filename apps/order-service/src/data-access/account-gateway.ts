import type { ServiceCaller } from '@trx/discovery';
import { TRANSACTION_HEADER } from '@trx/protocol';
import type { AccountGateway } from '../domain/ports';
import type { Account } from '../domain/order-types';
import { callParticipant, failFromReply, isSuccess, type ErrorReply } from './participant-call';

export const ACCOUNT_SERVICE = 'account-service';

interface AccountReply {
  id: number;
  customerId: number;
  balance: number;
}

/** account-service over HTTP: reads are plain, a withdrawal is a branch of the order's transaction. */
export class HttpAccountGateway implements AccountGateway {
  constructor(private readonly caller: ServiceCaller) {}

  async accountsOf(customerId: number): Promise<Account[]> {
    const response = await callParticipant<AccountReply[]>(this.caller, ACCOUNT_SERVICE, {
      method: 'GET',
      url: '/accounts',
      params: { customerId },
    });
    if (!isSuccess(response)) failFromReply(ACCOUNT_SERVICE, response);
    return (response.data as AccountReply[]).map((a) => ({ id: a.id, balance: Number(a.balance) }));
  }

  async withdraw(transactionId: string | undefined, accountId: number, amount: number): Promise<boolean> {
    const response = await callParticipant(this.caller, ACCOUNT_SERVICE, {
      method: 'POST',
      url: `/accounts/${accountId}/withdrawals`,
      data: { amount },
      headers: transactionId ? { [TRANSACTION_HEADER]: transactionId } : {},
    });
    if (isSuccess(response)) return true;
    if ((response.data as ErrorReply | undefined)?.error === 'insufficient-funds') return false;
    return failFromReply(ACCOUNT_SERVICE, response);
  }
}
