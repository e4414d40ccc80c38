/**
 * Why an order did not go through. Every error has a stable kebab-case `code` (the HTTP
 * layer maps codes to statuses in one place) and says whether a retry can help.
 * Check them by `name`.
 */
export type RefusalCode =
  'insufficient-stock' | 'insufficient-funds' | 'unknown-product' | 'unknown-customer';

export const REFUSAL_CODES: readonly RefusalCode[] = [
  'insufficient-stock',
  'insufficient-funds',
  'unknown-product',
  'unknown-customer',
];

/** A business refusal: the order can't be placed as asked; retrying won't help. */
export class OrderRefusedError extends Error {
  override readonly name = 'OrderRefusedError';
  readonly retryable = false;
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** A participant could not be reached, answered 5xx or timed out. */
export class ParticipantUnavailableError extends Error {
  override readonly name = 'ParticipantUnavailableError';
  readonly code = 'participant-unavailable';
  readonly retryable = true;
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}

/** The transaction was decided rollback before the order could commit (e.g. it timed out). */
export class TransactionRolledBackError extends Error {
  override readonly name = 'TransactionRolledBackError';
  readonly code = 'transaction-rolled-back';
  readonly retryable = false;
}

/** An order attempt failed on purpose at a named step (thrown only by test-modes/fault-injection.ts). */
export class InjectedFaultError extends Error {
  override readonly name = 'InjectedFaultError';
  readonly code = 'injected-fault';
  readonly retryable = false;
  constructor(readonly point: string) {
    super(`fault injected ${point}`);
  }
}

/** A participant answered something the order-service does not expect (a bug, not an outage). */
export class UnexpectedAnswerError extends Error {
  override readonly name = 'UnexpectedAnswerError';
  readonly code = 'internal-error';
  readonly retryable = false;
  constructor(
    readonly service: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${service} answered ${status} unexpectedly`);
  }
}

/** The coordinator can't be reached (at begin: nothing was stored; at commit: the outcome is not known yet). */
export class CoordinatorUnreachableError extends Error {
  override readonly name = 'CoordinatorUnreachableError';
  readonly code = 'coordinator-unavailable';
  readonly retryable = true;
  /** True when the commit went unanswered: the order may still commit. */
  readonly outcomeUnknown: boolean;
  constructor(
    message: string,
    readonly details?: { orderId: string; transactionId: string },
  ) {
    super(message);
    this.outcomeUnknown = details !== undefined;
  }
}

/** The error code of anything that ended an order attempt; unknown errors are internal. */
/** order-service's own database can't be reached (e.g. while it restarts): retry later. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  readonly code = 'database-unavailable';
  readonly retryable = true;
  constructor(message: string) {
    super(`the order database is unavailable (${message})`);
  }
}

export function failureCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  const known = [
    'OrderRefusedError',
    'ParticipantUnavailableError',
    'TransactionRolledBackError',
    'InjectedFaultError',
    'UnexpectedAnswerError',
    'CoordinatorUnreachableError',
    'DatabaseUnavailableError',
  ];
  return typeof code === 'string' && known.includes(String(name)) ? code : 'internal-error';
}
