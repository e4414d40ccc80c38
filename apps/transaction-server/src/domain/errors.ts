/**
 * The coordinator's protocol outcomes as typed errors, each with its fixed HTTP meaning.
 * The HTTP error handler is the one place that turns them into `{ error, message, ... }`.
 * Checked by `name`.
 */
import type { TransactionStatus } from '@trx/protocol';

export abstract class CoordinatorError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  abstract readonly retryable: boolean;
  readonly details?: unknown;
  readonly status?: string;
}

export class TransactionNotFoundError extends CoordinatorError {
  override readonly name = 'TransactionNotFoundError';
  readonly code = 'transaction-not-found';
  readonly httpStatus = 404;
  readonly retryable = false;
  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} does not exist`);
  }
}

export class BranchNotFoundError extends CoordinatorError {
  override readonly name = 'BranchNotFoundError';
  readonly code = 'branch-not-found';
  readonly httpStatus = 404;
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly branchId: string,
  ) {
    super(`transaction ${transactionId} has no branch ${branchId}`);
  }
}

/** 409: the current status forbids the operation; the body carries that status. */
export class TransactionConflictError extends CoordinatorError {
  override readonly name = 'TransactionConflictError';
  readonly httpStatus = 409;
  readonly retryable = false;
  constructor(
    readonly code: string,
    readonly transactionId: string,
    override readonly status: TransactionStatus | string,
    message: string,
    override readonly details?: unknown,
  ) {
    super(message);
  }
}

/** 422: a branch names a service that is not one of TRX_PARTICIPANT_SERVICES; no decision could reach it. */
export class UnknownServiceError extends CoordinatorError {
  override readonly name = 'UnknownServiceError';
  readonly code = 'unknown-service';
  readonly httpStatus = 422;
  readonly retryable = false;
  constructor(
    readonly service: string,
    override readonly details: { service: string; known: string[] },
  ) {
    super(`${service} is not a participant service of this coordinator (TRX_PARTICIPANT_SERVICES)`);
  }
}

export class InvalidRequestError extends CoordinatorError {
  override readonly name = 'InvalidRequestError';
  readonly code = 'invalid-request';
  readonly httpStatus = 400;
  readonly retryable = false;
  constructor(
    message: string,
    override readonly details?: unknown,
  ) {
    super(message);
  }
}

export function isCoordinatorError(err: unknown): err is CoordinatorError {
  return (
    err instanceof Error &&
    typeof (err as CoordinatorError).httpStatus === 'number' &&
    typeof (err as CoordinatorError).code === 'string'
  );
}

/** 403: the caller is authenticated but the transaction or branch is not its to act on. */
export class NotAllowedError extends CoordinatorError {
  override readonly name = 'NotAllowedError';
  readonly code = 'forbidden';
  readonly httpStatus = 403;
  readonly retryable = false;
  constructor(
    readonly actor: string,
    message: string,
  ) {
    super(message);
  }
}
