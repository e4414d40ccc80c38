/**
 * How a `CoordinatorApi` refuses, whatever implements it: the error's `name` says the kind of
 * answer and its `code` the coordinator's wire error code (the answer body's `error`). The
 * participant runtime knows the coordinator only through the CoordinatorApi port, so the
 * identities live here, next to the port, and every package checks them with these guards —
 * by name, not instanceof, because two copies of a library can exist in a workspace.
 *
 * @example
 *   try { await coordinator.commit(txId); }
 *   catch (err) { if (isTransactionConflict(err, COORDINATOR_CODES.transactionRolledBack)) ... }
 */

/** The `name` of each error a CoordinatorApi throws (`@trx/coordinator-client`'s classes). */
export const COORDINATOR_ERRORS = {
  /** 404: the coordinator does not know the transaction (or branch). */
  transactionNotFound: 'TransactionNotFoundError',
  /** 409: the transaction's status forbids the operation; `code` says why. */
  transactionConflict: 'TransactionConflictError',
  /** 400/422: the coordinator rejected the request itself; sending it again cannot succeed. */
  rejectedRequest: 'CoordinatorRejectedRequestError',
  /** Unreachable, timed out or 5xx: try again later. */
  unavailable: 'CoordinatorUnavailableError',
} as const;

/** The coordinator's wire error codes that a client acts on. */
export const COORDINATOR_CODES = {
  transactionNotFound: 'transaction-not-found',
  /** A branch came after the decision: it was refused. */
  transactionDecided: 'transaction-decided',
  /** A commit found the transaction rolled back. */
  transactionRolledBack: 'transaction-rolled-back',
  /** The transaction already has the most branches the coordinator takes. */
  tooManyBranches: 'too-many-branches',
} as const;

export type CoordinatorCode = (typeof COORDINATOR_CODES)[keyof typeof COORDINATOR_CODES];

function nameOf(err: unknown): unknown {
  return (err as { name?: unknown } | null)?.name;
}

/** The wire error code an error carries (`code`), if any. */
export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The coordinator does not know the transaction; with `code`, only for that wire code. */
export function isTransactionNotFound(err: unknown, code?: CoordinatorCode): boolean {
  return nameOf(err) === COORDINATOR_ERRORS.transactionNotFound && (!code || errorCodeOf(err) === code);
}

/** The transaction's status forbade the operation; with `code`, only for that wire code. */
export function isTransactionConflict(err: unknown, code?: CoordinatorCode): boolean {
  return nameOf(err) === COORDINATOR_ERRORS.transactionConflict && (!code || errorCodeOf(err) === code);
}

/** The coordinator rejected the request as malformed or not allowed (400/422). */
export function isRejectedRequest(err: unknown): boolean {
  return nameOf(err) === COORDINATOR_ERRORS.rejectedRequest;
}

/** The coordinator could not be reached or failed (retryable). */
export function isCoordinatorUnavailable(err: unknown): boolean {
  return nameOf(err) === COORDINATOR_ERRORS.unavailable;
}
