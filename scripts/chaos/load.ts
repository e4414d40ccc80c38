/**
 * The closed-loop load: a few workers, each sending POST /orders to the order-service
 * replicas in turn and waiting for the answer before the next. Every attempt is recorded
 * — status and body, or the client error — so the invariants can be checked against what
 * callers were actually told.
 */
import { customerToken, readSecrets, type LocalSecrets } from '../local/credentials';
import { LATE_COMMIT, LATE_COMMIT_WAIT_MS, OrderMix, type Catalogue, type OrderRequest } from './order-mix';
import { Prng } from './prng';
import { sleep } from './time';

export interface Attempt {
  /** The client: 0 … concurrency-1 for the closed loop, `concurrency` for the late-commit orders sent beside it. */
  worker: number;
  request: OrderRequest;
  target: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  body?: Record<string, unknown>;
  /** `timeout` when no answer came within the request bound; otherwise the network error. */
  error?: string;
  /** True for the one retry of an Idempotency-Key order after a failed attempt. */
  retry: boolean;
}

export interface LoadOptions {
  seed: number;
  concurrency: number;
  /** Base URLs of the order-service replicas. */
  targets: () => string[];
  catalogue: Catalogue;
  /** Bound on an answer; a late-commit order gets LATE_COMMIT_WAIT_MS more (the order-service waits that long on purpose). */
  requestTimeoutMs: number;
  /** When (ms after start) to send a late-commit order, beside the closed loop (order-mix.ts planLateCommits). */
  lateCommitsAt: readonly number[];
  /** When an in-progress Idempotency-Key is taken over by a retry (the order-service's stale bound, plus a margin). */
  staleRetryAfterMs: number;
}

export class Load {
  readonly attempts: Attempt[] = [];
  private stopping = false;
  private workers: Promise<void>[] = [];
  private readonly lateRetries: Promise<void>[] = [];
  private readonly lateCommits: Promise<void>[] = [];
  private readonly lateCommitTimers: NodeJS.Timeout[] = [];
  private readonly secrets: LocalSecrets = readSecrets();
  /** customerId → its bearer token: each order goes out as the customer it names. */
  private readonly tokens = new Map<number, Promise<string>>();

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    const root = new Prng(this.options.seed).fork('load');
    this.workers = Array.from({ length: this.options.concurrency }, (_, i) =>
      this.work(
        i,
        new OrderMix(root.fork(`worker-${i}`), this.options.catalogue, `chaos-${this.options.seed}-${i}`),
      ),
    );
    this.scheduleLateCommits(
      new OrderMix(root.fork('late-commit'), this.options.catalogue, `chaos-${this.options.seed}-late`),
    );
  }

  /**
   * The late-commit orders hold their answer ~23 s: sent off the closed loop, by a client of
   * their own, so the workers keep their pace. One not sent yet when the load stops is dropped.
   */
  private scheduleLateCommits(mix: OrderMix): void {
    const worker = this.options.concurrency;
    this.options.lateCommitsAt.forEach((at, n) => {
      const request = mix.lateCommit();
      const timer = setTimeout(() => {
        if (this.stopping) return;
        const targets = this.options.targets();
        this.lateCommits.push(
          this.send(worker, request, targets[n % targets.length]!, false).then(() => undefined),
        );
      }, at);
      this.lateCommitTimers.push(timer);
    });
  }

  /** Lets in-flight requests finish (each is bounded by the request timeout), late retries and late commits included. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.lateCommitTimers.forEach((t) => clearTimeout(t));
    await Promise.all(this.workers);
    await Promise.all(this.lateRetries);
    await Promise.all(this.lateCommits);
  }

  /**
   * A 425 means the key's first attempt is still "in progress" — or crashed with its
   * outcome unknown. Once the key is stale the order-service takes it over and must find
   * the order if it committed: retrying then is how a duplicate would show. Off the worker's
   * loop, so the load keeps its pace.
   */
  private retryWhenStale(worker: number, request: OrderRequest, target: string): void {
    this.lateRetries.push(
      sleep(this.options.staleRetryAfterMs).then(() =>
        this.send(worker, request, target, true).then(() => undefined),
      ),
    );
  }

  private async work(worker: number, mix: OrderMix): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const request = mix.next();
      const targets = this.options.targets();
      const first = await this.send(worker, request, targets[(worker + n) % targets.length]!, false);
      if (request.idempotencyKey && failed(first)) {
        await sleep(300);
        const retry = await this.send(worker, request, targets[(worker + n + 1) % targets.length]!, true);
        if (retry.status === 425)
          this.retryWhenStale(worker, request, targets[(worker + n) % targets.length]!);
      }
      // A refused connection answers at once: don't spin on a replica that is down.
      if (first.error) await sleep(100);
    }
  }

  private async send(
    worker: number,
    request: OrderRequest,
    target: string,
    retry: boolean,
  ): Promise<Attempt> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${await this.tokenOf(request.body.customerId)}`,
    };
    if (request.fault) headers['x-fault-inject'] = request.fault;
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    const attempt: Attempt = { worker, request, target, startedAt: Date.now(), endedAt: 0, retry };
    try {
      const res = await fetch(`${target}/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(
          this.options.requestTimeoutMs + (request.fault === LATE_COMMIT ? LATE_COMMIT_WAIT_MS : 0),
        ),
      });
      attempt.status = res.status;
      attempt.body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    } catch (err) {
      attempt.error = errorText(err);
    }
    attempt.endedAt = Date.now();
    this.attempts.push(attempt);
    return attempt;
  }

  private tokenOf(customerId: number): Promise<string> {
    if (!this.tokens.has(customerId)) this.tokens.set(customerId, customerToken(this.secrets, customerId));
    return this.tokens.get(customerId)!;
  }
}

/** Worth a retry with the same Idempotency-Key (only ordinary orders carry one): no answer, or a 5xx. */
function failed(attempt: Attempt): boolean {
  return attempt.error !== undefined || (attempt.status !== undefined && attempt.status >= 500);
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
