/**
 * Errors of @trx/coordinator-client, one per kind of answer the coordinator gives. Check
 * them with @trx/protocol's guards (isTransactionNotFound, isTransactionConflict,
 * isRejectedRequest, isCoordinatorUnavailable; re-exported here), which go by `name`: two
 * copies of this library can exist in a workspace. `retryable` says whether sending the same
 * request again can succeed.
 */
import {
  COORDINATOR_CODES,
  COORDINATOR_ERRORS,
  type TransactionStatus,
  type TransactionView,
} from '@trx/protocol';

/** 404: the coordinator does not know the transaction (or branch). For recovery: presumed abort. */
export class TransactionNotFoundError extends Error {
  override readonly name = COORDINATOR_ERRORS.transactionNotFound;
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly code: string = COORDINATOR_CODES.transactionNotFound,
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
  override readonly name = COORDINATOR_ERRORS.transactionConflict;
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

/**
 * 400/422: the coordinator rejected the request (malformed, or naming a service it does not
 * know); `details` are the validation issues. The client's view of a refusal, not to be
 * confused with a service's own 400 (`@trx/service-kit`'s InvalidRequestError).
 */
export class CoordinatorRejectedRequestError extends Error {
  override readonly name = COORDINATOR_ERRORS.rejectedRequest;
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
  override readonly name = COORDINATOR_ERRORS.unavailable;
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
