/**
 * What the load asks for. Most orders are ordinary and should go through; a known share
 * must be refused whatever the faults do (too much stock or money, unknown ids, invalid
 * bodies), and a share carries the order-service's fault header, so it must never be
 * confirmed. Which is which is recorded with the response and checked at the end.
 */
import { TRANSACTION_TIMEOUT_MS } from './platform';
import type { Prng } from './prng';

export type OrderKind =
  | 'normal'
  | 'too-much-stock'
  | 'too-much-money'
  | 'unknown-product'
  | 'unknown-customer'
  | 'invalid'
  | 'fault';

export const FAULT_POINTS = ['after-reservation', 'after-withdrawal', 'before-commit'] as const;

/**
 * The rare fault point: the order-service prepares every branch, then waits its transaction
 * timeout + 15 s (apps/order-service place-order.ts, LATE_COMMIT_MARGIN_MS) before asking the
 * commit, so a participant's recovery has tombstoned the transaction (presumed abort) and the
 * commit must be refused. It holds a client ~23 s and prepared rows ~10 s, so the load sends a
 * handful per run on a schedule of their own (planLateCommits), not in the mix.
 */
export const LATE_COMMIT = 'late-commit';
/** How long the order-service holds a late-commit order before it asks the commit. */
export const LATE_COMMIT_WAIT_MS = TRANSACTION_TIMEOUT_MS + 15_000;

export type FaultPoint = (typeof FAULT_POINTS)[number] | typeof LATE_COMMIT;

export interface OrderRequest {
  kind: OrderKind;
  body: { customerId: number; productId: number; quantity: number };
  fault?: FaultPoint;
  idempotencyKey?: string;
}

/** What the run knows of the seeded catalogue when the load starts. */
export interface Catalogue {
  customers: { id: number; balance: number }[];
  products: { id: number; stock: number; price: number }[];
}

/** Ids no seed uses. */
export const UNKNOWN_ID = 999_999;

/** Kinds a correct platform must never confirm. */
export function mustNotConfirm(kind: OrderKind): boolean {
  return kind !== 'normal';
}

export class OrderMix {
  private seq = 0;

  constructor(
    private readonly prng: Prng,
    private readonly catalogue: Catalogue,
    private readonly keyPrefix: string,
  ) {}

  next(): OrderRequest {
    const kind = this.prng.weighted<OrderKind>([
      ['normal', 72],
      ['fault', 10],
      ['too-much-stock', 5],
      ['too-much-money', 4],
      ['unknown-product', 4],
      ['unknown-customer', 4],
      ['invalid', 1],
    ]);
    const request = this.build(kind);
    // Some ordinary orders carry an Idempotency-Key; the load retries those once after a failure.
    if (kind === 'normal' && this.prng.chance(0.2))
      request.idempotencyKey = `${this.keyPrefix}-${++this.seq}`;
    return request;
  }

  /** An ordinary order carrying the late-commit fault: it must be refused, never confirmed. */
  lateCommit(): OrderRequest {
    return { ...this.build('fault'), fault: LATE_COMMIT };
  }

  private build(kind: OrderKind): OrderRequest {
    const customer = this.prng.weighted(weighByPlenty(this.catalogue.customers, (c) => c.balance));
    const product = this.prng.weighted(weighByPlenty(this.catalogue.products, (p) => p.stock * p.price));
    const ordinary = { customerId: customer.id, productId: product.id, quantity: this.prng.int(1, 3) };
    switch (kind) {
      case 'normal':
        return { kind, body: ordinary };
      case 'fault':
        return { kind, body: ordinary, fault: this.prng.pick(FAULT_POINTS) };
      case 'too-much-stock':
        // More than the product ever had: stock only goes down.
        return { kind, body: { ...ordinary, quantity: product.stock + this.prng.int(1, 1000) } };
      case 'too-much-money':
        return { kind, body: this.tooExpensive() };
      case 'unknown-product':
        return { kind, body: { ...ordinary, productId: UNKNOWN_ID } };
      case 'unknown-customer':
        return { kind, body: { ...ordinary, customerId: UNKNOWN_ID } };
      case 'invalid':
        return { kind, body: { ...ordinary, quantity: 0 } };
    }
  }

  /** An order the poorest customer can't pay from everything they had at the start, within stock. */
  private tooExpensive(): OrderRequest['body'] {
    const poorest = [...this.catalogue.customers].sort((a, b) => a.balance - b.balance)[0]!;
    const product = [...this.catalogue.products].sort((a, b) => b.stock * b.price - a.stock * a.price)[0]!;
    const quantity = Math.floor(poorest.balance / product.price) + 1;
    return { customerId: poorest.id, productId: product.id, quantity };
  }
}

/**
 * When (ms after the load started) the load sends its late-commit orders: one per minute of
 * load, at least one (so --quick's 75 s has one) and at most MAX_LATE_COMMITS, spread at
 * random over the part of the load that leaves the ~23 s wait (+ a margin) before its end, so
 * the answer comes while the load still runs and does not hold up its stop.
 */
export function planLateCommits(prng: Prng, durationMs: number): number[] {
  const count = Math.min(MAX_LATE_COMMITS, Math.max(1, Math.round(durationMs / 60_000)));
  const from = Math.round(durationMs * 0.1);
  const to = Math.max(from, durationMs - LATE_COMMIT_WAIT_MS - 10_000);
  return Array.from({ length: count }, () => prng.int(from, to)).sort((a, b) => a - b);
}

export const MAX_LATE_COMMITS = 5;

/**
 * The scarcest item (sold out early in a run) is picked a fifth as often as the others, so
 * most ordinary orders can still commit; it is still picked, so running out is exercised.
 */
function weighByPlenty<T>(items: readonly T[], plenty: (item: T) => number): [T, number][] {
  const least = Math.min(...items.map(plenty));
  return items.map((item) => [item, plenty(item) === least && items.length > 1 ? 1 : 5]);
}
