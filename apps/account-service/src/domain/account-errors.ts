import { ServiceError } from '@trx/service-kit';

/**
 * The account-service's business refusals, each with its stable HTTP answer. Thrown inside
 * a branch they also roll the branch back and vote no. Check them by `name`.
 */
export abstract class AccountError extends ServiceError {}

export class UnknownAccountError extends AccountError {
  override readonly name = 'UnknownAccountError';
  readonly code = 'unknown-account';
  readonly httpStatus = 404;
  constructor(readonly accountId: number) {
    super(`account ${accountId} does not exist`);
  }
}

/** A customer without any account: nobody to charge. */
export class UnknownCustomerError extends AccountError {
  override readonly name = 'UnknownCustomerError';
  readonly code = 'unknown-customer';
  readonly httpStatus = 404;
  constructor(readonly customerId: number) {
    super(`customer ${customerId} has no account`);
  }
}

export class InsufficientFundsError extends AccountError {
  override readonly name = 'InsufficientFundsError';
  readonly code = 'insufficient-funds';
  readonly httpStatus = 409;
  constructor(
    readonly accountId: number,
    readonly requested: number,
    readonly balance: number,
  ) {
    super(`account ${accountId} has ${balance} and cannot pay ${requested}`);
  }

  get details() {
    return { accountId: this.accountId, requested: this.requested, balance: this.balance };
  }
}

/**
 * No account of the customer covers a charge. The same `insufficient-funds` as a single
 * account's refusal, but it names no balance: the order-service hands the message on to the
 * customer.
 */
export class CustomerCannotPayError extends AccountError {
  override readonly name = 'CustomerCannotPayError';
  readonly code = 'insufficient-funds';
  readonly httpStatus = 409;
  constructor(
    readonly customerId: number,
    readonly requested: number,
  ) {
    super(`no account of customer ${customerId} can pay ${requested.toFixed(2)}`);
  }

  get details() {
    return { customerId: this.customerId, requested: this.requested };
  }
}
