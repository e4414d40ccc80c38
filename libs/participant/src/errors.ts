/**
 * Errors of @trx/participant. Each carries the HTTP answer a service should give
 * (`httpStatus`, kebab-case `code`) and whether the caller may retry. Check them with the
 * guards at the end (isBranchRefused, isCoordinatorUnreachable, ...), which go by `name`:
 * two copies of this library can exist in a workspace.
 */
import { COORDINATOR_CODES, isCoordinatorUnavailable } from '@trx/protocol';

export abstract class ParticipantError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  abstract readonly retryable: boolean;
}

/** The coordinator answered `transaction-decided`: the branch came too late and was rolled back. */
export class BranchRefusedError extends ParticipantError {
  override readonly name = 'BranchRefusedError';
  readonly code = COORDINATOR_CODES.transactionDecided;
  readonly httpStatus = 409;
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly gid: string,
  ) {
    super(`transaction ${transactionId} is already decided; branch ${gid} was refused and rolled back`);
  }
}

/** The coordinator does not know the transaction named by the caller. */
export class UnknownTransactionError extends ParticipantError {
  override readonly name = 'UnknownTransactionError';
  readonly code = 'unknown-transaction';
  readonly httpStatus = 404;
  readonly retryable = false;
  constructor(readonly transactionId: string) {
    super(`the coordinator does not know transaction ${transactionId}`);
  }
}

/** The transaction id given by the caller is not a uuid. */
export class InvalidTransactionIdError extends ParticipantError {
  override readonly name = 'InvalidTransactionIdError';
  readonly code = 'invalid-transaction-id';
  readonly httpStatus = 400;
  readonly retryable = false;
  constructor(readonly transactionId: string) {
    super(`transaction id must be a uuid, got "${transactionId.slice(0, 80)}"`);
  }
}

/**
 * Before PREPARE: the service's own cap of prepared branches (TRX_MAX_PREPARED_BRANCHES) is
 * reached, or at PREPARE: SQLSTATE 53200, max_prepared_transactions is. The branch voted
 * no; retry later.
 */
export class TooManyPreparedError extends ParticipantError {
  override readonly name = 'TooManyPreparedError';
  readonly code = 'too-many-prepared';
  readonly httpStatus = 503;
  readonly retryable = true;
  constructor(
    readonly transactionId: string,
    readonly gid: string,
  ) {
    super(
      `cannot prepare branch ${gid}: the database reached max_prepared_transactions; ` +
        `the branch voted no, retry later (or raise max_prepared_transactions)`,
    );
  }
}

/**
 * SQLSTATE 55P03 in the work: a row lock was not granted within the session's lock_timeout
 * (a prepared branch or a long transaction holds it). The branch voted no and its
 * connection went back to the pool clean. 503 + Retry-After, not 409: the refusal is about
 * the moment, not the request, and a caller's Idempotency-Key must not remember it.
 */
export class LockTimeoutError extends ParticipantError {
  override readonly name = 'LockTimeoutError';
  readonly code = 'lock-timeout';
  readonly httpStatus = 503;
  readonly retryable = true;
  constructor(readonly transactionId: string | undefined) {
    super('a row this request needs is locked by another transaction; nothing was done, retry later');
  }
}

/** SQLSTATE 57014 in the work: a statement ran past the session's statement_timeout and was cancelled. */
export class StatementTimeoutError extends ParticipantError {
  override readonly name = 'StatementTimeoutError';
  readonly code = 'statement-timeout';
  readonly httpStatus = 503;
  readonly retryable = true;
  constructor(readonly transactionId: string | undefined) {
    super('a statement of this request ran too long and was cancelled; nothing was done, retry later');
  }
}

/** The coordinator refused the branch: its transaction already has the most branches it takes. */
export class TooManyBranchesError extends ParticipantError {
  override readonly name = 'TooManyBranchesError';
  readonly code = COORDINATOR_CODES.tooManyBranches;
  readonly httpStatus = 409;
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly gid: string,
  ) {
    super(
      `transaction ${transactionId} has as many branches as the coordinator takes; ${gid} was rolled back`,
    );
  }
}

/**
 * The yes-vote could not be recorded because the coordinator did not answer. The branch
 * stays prepared; recovery finishes it once the coordinator decides (it times out).
 * Used only when the coordinator client threw something that is not already its own
 * `CoordinatorUnavailableError` (which is passed through as is); `isCoordinatorUnreachable`
 * recognises both.
 */
export class CoordinatorUnreachableError extends ParticipantError {
  override readonly name = 'CoordinatorUnreachableError';
  readonly code = 'coordinator-unavailable';
  readonly httpStatus = 503;
  readonly retryable = true;
  constructor(
    readonly transactionId: string,
    cause: unknown,
  ) {
    super(`the coordinator could not be reached for transaction ${transactionId}: ${messageOf(cause)}`);
  }
}

/** finish() was given a gid that is not a branch of this service in that transaction. */
export class ForeignBranchError extends ParticipantError {
  override readonly name = 'ForeignBranchError';
  readonly code = 'foreign-branch';
  readonly httpStatus = 400;
  readonly retryable = false;
  constructor(
    readonly transactionId: string,
    readonly gid: string,
    readonly service: string,
  ) {
    super(`${gid} is not a branch of ${service} in transaction ${transactionId}`);
  }
}

/** The participant was stopped; no new branches are accepted. */
export class ParticipantStoppedError extends ParticipantError {
  override readonly name = 'ParticipantStoppedError';
  readonly code = 'service-stopping';
  readonly httpStatus = 503;
  readonly retryable = true;
  constructor() {
    super('the participant is stopping and accepts no new work');
  }
}

/**
 * The caller of an enlisted branch went away (its call timed out or was cancelled) before
 * hearing of the branch: nobody can enlist it, so it is rolled back at once instead of
 * holding its locks until recovery finds it.
 */
export class CallerGoneError extends ParticipantError {
  override readonly name = 'CallerGoneError';
  readonly code = 'caller-gone';
  readonly httpStatus = 499;
  readonly retryable = true;
  constructor(readonly transactionId: string) {
    super(`the caller of this branch of ${transactionId} went away; rolled back`);
  }
}

export interface ErrorAnswer {
  httpStatus: number;
  body: { error: string; message: string; retryable?: boolean };
}

/**
 * The HTTP answer for an error thrown by `Participant.run*` that is not the work's own:
 * protocol refusals, coordinator outages, prepare limits. Undefined for anything else,
 * so the service maps its business errors itself.
 */
export function participantErrorAnswer(err: unknown): ErrorAnswer | undefined {
  const name = nameOf(err);
  const e = err as Partial<ParticipantError>;
  if (isCoordinatorUnreachable(err)) {
    // A fixed text: the cause names hosts and ports, which a caller has no business seeing (the log has it).
    const message = 'the coordinator could not be reached; retry';
    const body = { error: 'coordinator-unavailable', message, retryable: true };
    return { httpStatus: 503, body };
  }
  if (err instanceof ParticipantError || (e.code && e.httpStatus && PARTICIPANT_ERRORS.has(name))) {
    const body = { error: e.code!, message: messageOf(err), ...(e.retryable ? { retryable: true } : {}) };
    return { httpStatus: e.httpStatus!, body };
  }
  return undefined;
}

const PARTICIPANT_ERRORS = new Set<unknown>([
  'BranchRefusedError',
  'UnknownTransactionError',
  'InvalidTransactionIdError',
  'TooManyPreparedError',
  'LockTimeoutError',
  'StatementTimeoutError',
  'TooManyBranchesError',
  'ParticipantStoppedError',
  'ForeignBranchError',
]);

function nameOf(err: unknown): unknown {
  return (err as { name?: unknown } | null)?.name;
}

/** The coordinator refused the branch: the transaction was already decided (the branch rolled back). */
export function isBranchRefused(err: unknown): boolean {
  return nameOf(err) === 'BranchRefusedError';
}

/** The coordinator does not know the transaction the caller named. */
export function isUnknownTransaction(err: unknown): boolean {
  return nameOf(err) === 'UnknownTransactionError';
}

/** The prepared-branch cap (the service's or the database's) was reached: the branch voted no. */
export function isTooManyPrepared(err: unknown): boolean {
  return nameOf(err) === 'TooManyPreparedError';
}

/**
 * The coordinator did not confirm the vote (unreachable, timed out, 5xx): the coordinator
 * client's CoordinatorUnavailableError passed through, or this package's
 * CoordinatorUnreachableError. The branch stays prepared; recovery finishes it.
 */
export function isCoordinatorUnreachable(err: unknown): boolean {
  return isCoordinatorUnavailable(err) || nameOf(err) === 'CoordinatorUnreachableError';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
