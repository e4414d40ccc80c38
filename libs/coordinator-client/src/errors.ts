/**
 * Errors of @trx/coordinator-client, one per kind of answer the coordinator gives. Check
 * them by `name` (two copies of this library can exist in a workspace); `retryable` says
 * whether sending the same request again can succeed.
 */
import type { TransactionStatus, TransactionView } from '@trx/protocol';

/** 404: the coordinator does not know the transaction (or branch). For recovery: presumed abort. */
export class TransactionNotFoundError extends Error {
  override readonly name = 'TransactionNotFoundError';
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly code: string = 'transaction-not-found',
    message?: string,
  ) {
    super(message ?? `transaction ${transactionId} is not known to the coordinator`);
  }
}

/**
 * 409: the transaction's status forbids the operation. `code` is the body's error
 * (`transaction-decided`, `transaction-rolled-back`, `outcome-mismatch`, ...), `status` the
 * transaction's current status.
 */
export class TransactionConflictError extends Error {
  override readonly name = 'TransactionConflictError';
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly code: string,
    readonly status: TransactionStatus | undefined,
    message: string,
    readonly transaction?: TransactionView,
  ) {
    super(message);
  }
}

/** 400: the request was malformed; `details` are the validation issues. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  readonly retryable = false;
  constructor(
    readonly operation: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The coordinator could not be reached, timed out or answered 5xx: try again later. */
export class CoordinatorUnavailableError extends Error {
  override readonly name = 'CoordinatorUnavailableError';
  readonly retryable = true;
  constructor(
    readonly operation: string,
    readonly httpStatus: number | undefined,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
