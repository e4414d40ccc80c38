import type { ServiceCaller } from '@trx/discovery';
import type { AccountGateway } from '../domain/ports';
import type { Payment } from '../domain/order-types';
import { branchHeaders, callParticipant, enlistedBranch, failFromReply, isSuccess } from './participant-call';

export const ACCOUNT_SERVICE = 'account-service';

interface ChargeReply {
  customerId: number;
  accountId: number;
  amount: number;
  balance: number;
}

/**
 * account-service over HTTP: a charge is a branch of the order's transaction, or a local
 * commit without one (the baseline). Its refusals, `insufficient-funds` and
 * `unknown-customer`, come back as OrderRefusedError through failFromReply.
 */
export class HttpAccountGateway implements AccountGateway {
  constructor(private readonly caller: ServiceCaller) {}

  /** One call: account-service picks the first covering account, so no balance is read here. */
  async charge(transactionId: string | undefined, customerId: number, amount: number): Promise<Payment> {
    const response = await callParticipant<ChargeReply>(this.caller, ACCOUNT_SERVICE, {
      method: 'POST',
      url: `/customers/${customerId}/withdrawals`,
      data: { amount },
      headers: branchHeaders(transactionId),
    });
    if (!isSuccess(response)) return failFromReply(ACCOUNT_SERVICE, response);
    const { accountId } = response.data as ChargeReply;
    return { accountId, branch: enlistedBranch(ACCOUNT_SERVICE, response) };
  }
}
