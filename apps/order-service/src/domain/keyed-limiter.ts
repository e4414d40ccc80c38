/**
 * Bounds how many orders touch the same hot row at once (per product, per customer).
 *
 * Why: a participant's prepared branch keeps its row lock until the decision arrives, and
 * the decision is applied on a connection of the participant's pool. When more requests
 * for one row than the participant has pool connections arrive together, they all sit
 * on the row lock holding every connection, and COMMIT PREPARED waits for a free one: a
 * convoy that ends only when the callers time out. Queueing those orders here instead
 * leaves the participant connections to finish decisions; orders on other products and
 * customers are not held back.
 *
 * The queue is bounded too: at most `maxWaiters` orders wait per key, each at most
 * `maxWaitMs`; past either the order is refused at once with TooBusyError (503 too-busy,
 * Retry-After), before it claims anything. A queue without bounds only moves the convoy here.
 *
 * Keys are always acquired in the order given (product, then customer), so no cycle forms.
 */
export class KeyedLimiter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly limit: number,
    private readonly bounds: LimiterBounds = { maxWaiters: Infinity, maxWaitMs: 0 },
  ) {
    if (!(limit >= 1)) throw new Error(`limit must be >= 1, got ${limit}`);
  }

  async run<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const held: string[] = [];
    try {
      for (const key of keys) {
        await this.acquire(key);
        held.push(key);
      }
      return await work();
    } finally {
      for (const key of held.reverse()) this.release(key);
    }
  }

  /** Orders waiting for a slot, for metrics. */
  waiting(): number {
    let n = 0;
    for (const slot of this.slots.values()) n += slot.waiting.length;
    return n;
  }

  private async acquire(key: string): Promise<void> {
    const slot = this.slots.get(key) ?? { active: 0, waiting: [] };
    this.slots.set(key, slot);
    if (slot.active < this.limit) {
      slot.active++;
      return;
    }
    if (slot.waiting.length >= this.bounds.maxWaiters) this.refuse(key, 'queue-full');
    // The releaser hands its slot over directly, so `active` stays counted.
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, timer: undefined };
      if (this.bounds.maxWaitMs > 0) {
        waiter.timer = setTimeout(() => {
          slot.waiting.splice(slot.waiting.indexOf(waiter), 1);
          try {
            this.refuse(key, 'wait-timeout');
          } catch (err) {
            reject(err);
          }
        }, this.bounds.maxWaitMs);
        waiter.timer.unref();
      }
      slot.waiting.push(waiter);
    });
  }

  private refuse(key: string, reason: TooBusyReason): never {
    this.bounds.onRefused?.(reason);
    throw new TooBusyError(key, reason, this.bounds.maxWaitMs);
  }

  private release(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    const next = slot.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      return next.resolve();
    }
    slot.active--;
    if (slot.active === 0) this.slots.delete(key);
  }
}

export interface LimiterBounds {
  /** Orders that may wait per key; more are refused at once. */
  maxWaiters: number;
  /** Longest wait for a slot (0 = no bound); then the order is refused. */
  maxWaitMs: number;
  /** Told of every refusal (the metric). */
  onRefused?(reason: TooBusyReason): void;
}

export type TooBusyReason = 'queue-full' | 'wait-timeout';

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  active: number;
  waiting: Waiter[];
}

/** Too many orders on one product or customer right now: nothing was done, retry shortly (503 too-busy). */
export class TooBusyError extends Error {
  override readonly name = 'TooBusyError';
  readonly code = 'too-busy';
  readonly retryable = true;
  constructor(
    readonly key: string,
    readonly reason: TooBusyReason,
    maxWaitMs: number,
  ) {
    super(
      reason === 'queue-full'
        ? `too many orders are waiting on ${key}; retry shortly`
        : `an order waited ${maxWaitMs} ms on ${key} without a turn; retry shortly`,
    );
  }

  get details() {
    return { key: this.key, reason: this.reason };
  }
}
