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
 * Keys are always acquired in the order given (product, then customer), so no cycle forms.
 */
export class KeyedLimiter {
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly limit: number) {
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
    // The releaser hands its slot over directly, so `active` stays counted.
    await new Promise<void>((resolve) => slot.waiting.push(resolve));
  }

  private release(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    const next = slot.waiting.shift();
    if (next) return next();
    slot.active--;
    if (slot.active === 0) this.slots.delete(key);
  }
}
