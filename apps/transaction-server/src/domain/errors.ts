/**
 * The coordinator's protocol outcomes as typed errors, each with its fixed HTTP meaning.
 * The HTTP error handler is the one place that turns them into `{ error, message, ... }`.
 * Each class's `name` is its class name; code checks errors with the guards below (by
 * `name`, so a second copy of this module still matches) or by a code of ErrorCodes, never
 * by a string literal.
 */
import { COORDINATOR_CODES, COORDINATOR_ERRORS, type TransactionStatus } from '@trx/protocol';

/**
 * Every `error` code the coordinator answers with (kebab-case, stable on the wire); those its
 * clients act on are @trx/protocol's COORDINATOR_CODES, defined there once.
 */
export const ErrorCodes = {
  ...COORDINATOR_CODES,
  branchNotFound: 'branch-not-found',
  unknownService: 'unknown-service',
  invalidRequest: 'invalid-request',
  forbidden: 'forbidden',
  // 409s (TransactionConflictError): the current status forbids the operation.
  duplicateGid: 'duplicate-gid',
  voteConflict: 'vote-conflict',
  transactionCommitted: 'transaction-committed',
  transactionNotDecided: 'transaction-not-decided',
  outcomeMismatch: 'outcome-mismatch',
  concurrentDecision: 'concurrent-decision',
  concurrentUpdate: 'concurrent-update',
  notActive: 'not-active',
  notPastDeadline: 'not-past-deadline',
  notAwaitingAcknowledgement: 'not-awaiting-acknowledgement',
  invalidTransactionTransition: 'invalid-transaction-transition',
  invalidBranchTransition: 'invalid-branch-transition',
  invalidTransactionEntry: 'invalid-transaction-entry',
  invalidBranchEntry: 'invalid-branch-entry',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
export type ConflictCode = Exclude<
  ErrorCode,
  'transaction-not-found' | 'branch-not-found' | 'unknown-service' | 'invalid-request' | 'forbidden'
>;

export abstract class CoordinatorError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly httpStatus: number;
  abstract readonly retryable: boolean;
  readonly details?: unknown;
  readonly status?: string;
}

export class TransactionNotFoundError extends CoordinatorError {
  override readonly name = COORDINATOR_ERRORS.transactionNotFound;
  readonly code = ErrorCodes.transactionNotFound;
  readonly httpStatus = 404;
  readonly retryable = false;
  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} does not exist`);
  }
}

export class BranchNotFoundError extends CoordinatorError {
  override readonly name = 'BranchNotFoundError';
  readonly code = ErrorCodes.branchNotFound;
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
  override readonly name = COORDINATOR_ERRORS.transactionConflict;
  readonly httpStatus = 409;
  readonly retryable = false;
  constructor(
    readonly code: ConflictCode,
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
  readonly code = ErrorCodes.unknownService;
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
  readonly code = ErrorCodes.invalidRequest;
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

/** 404 for the transaction itself (not a branch of it). */
export function isTransactionNotFound(err: unknown): err is TransactionNotFoundError {
  return isCoordinatorError(err) && err.name === COORDINATOR_ERRORS.transactionNotFound;
}

/** 409: the transaction's status forbade the operation. */
export function isTransactionConflict(err: unknown): err is TransactionConflictError {
  return isCoordinatorError(err) && err.name === COORDINATOR_ERRORS.transactionConflict;
}

/** 403: the caller is authenticated but the transaction or branch is not its to act on. */
export class NotAllowedError extends CoordinatorError {
  override readonly name = 'NotAllowedError';
  readonly code = ErrorCodes.forbidden;
  readonly httpStatus = 403;
  readonly retryable = false;
  constructor(
    readonly actor: string,
    message: string,
  ) {
    super(message);
  }
}
