/**
 * Idempotency-Key handling: the first request with a key runs; a repeat gets the first
 * answer (same status and body) without running again; a repeat while the first is still
 * running is told to retry (425). Answers a client is invited to retry (retryable 5xx)
 * are not kept, so a retry with the same key gets a real second attempt.
 */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'answered'; answer: StoredAnswer; fingerprint: string }
  | { kind: 'in-progress'; fingerprint: string; since: Date };

export interface IdempotencyStore {
  /** Inserts the key as in-progress unless it exists; answers what is stored otherwise. */
  claim(key: string, fingerprint: string): Promise<Claim>;
  /** Takes over an in-progress key last touched at `since` (a crashed attempt); false when someone else did. */
  takeOver(key: string, since: Date): Promise<boolean>;
  complete(key: string, answer: StoredAnswer): Promise<void>;
  release(key: string): Promise<void>;
}

export class RequestInProgressError extends Error {
  override readonly name = 'RequestInProgressError';
  readonly code = 'request-in-progress';
  readonly retryable = true;
  constructor(readonly key: string) {
    super(`a request with Idempotency-Key "${key}" is still being processed; retry later`);
  }
}

export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'idempotency-key-reused';
  readonly retryable = false;
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key}" was already used for a different request`);
  }
}

export interface IdempotentRun {
  store: IdempotencyStore;
  key: string | undefined;
  fingerprint: string;
  /** An in-progress key older than this belongs to a crashed attempt and may be taken over. */
  staleAfterMs: number;
  /** On taking over a crashed attempt: the answer it had reached, if it reached one (e.g. a committed order). */
  recover: () => Promise<StoredAnswer | undefined>;
  run: () => Promise<StoredAnswer & { keep: boolean }>;
  clock?: () => Date;
}

export async function runIdempotent(options: IdempotentRun): Promise<StoredAnswer & { replayed: boolean }> {
  const { store, key } = options;
  if (key === undefined) return { ...(await options.run()), replayed: false };
  const claim = await store.claim(key, options.fingerprint);
  if (claim.kind !== 'claimed') {
    if (claim.fingerprint !== options.fingerprint) throw new IdempotencyKeyReusedError(key);
    if (claim.kind === 'answered') return { ...claim.answer, replayed: true };
    const now = (options.clock ?? (() => new Date()))();
    const stale = now.getTime() - claim.since.getTime() > options.staleAfterMs;
    if (!stale || !(await store.takeOver(key, claim.since))) throw new RequestInProgressError(key);
    const recovered = await options.recover();
    if (recovered) {
      await store.complete(key, recovered);
      return { ...recovered, replayed: true };
    }
  }
  let answer: StoredAnswer & { keep: boolean };
  try {
    answer = await options.run();
  } catch (err) {
    // When the outcome is unknown (commit unanswered) the key stays in progress: a retry
    // waits, and once stale, recover() finds the order if it committed.
    if ((err as { outcomeUnknown?: boolean }).outcomeUnknown !== true) {
      await store.release(key).catch(() => undefined);
    }
    throw err;
  }
  if (answer.keep) await store.complete(key, { status: answer.status, body: answer.body });
  else await store.release(key);
  return { status: answer.status, body: answer.body, replayed: false };
}
