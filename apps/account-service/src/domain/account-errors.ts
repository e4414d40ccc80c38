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
