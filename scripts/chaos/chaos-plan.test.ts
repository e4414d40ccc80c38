import { planFaults } from './faults';
import { parseFaults, parseOptions } from './options';
import {
  LATE_COMMIT,
  LATE_COMMIT_WAIT_MS,
  MAX_LATE_COMMITS,
  OrderMix,
  mustNotConfirm,
  planLateCommits,
} from './order-mix';
import { Prng } from './prng';

const processesOf = (app: string) => [`${app}-1`, `${app}-2`];
const catalogue = {
  customers: [
    { id: 1, balance: 1000 },
    { id: 2, balance: 1_000_000 },
  ],
  products: [
    { id: 1, stock: 100_000, price: 20 },
    { id: 4, stock: 10, price: 60 },
  ],
};

describe('the chaos plan', () => {
  it('is the same for the same seed, so a run can be replayed', () => {
    const plan = (seed: number) =>
      planFaults(new Prng(seed), {
        kinds: parseFaults('all'),
        maxFaults: 8,
        durationMs: 120_000,
        processesOf,
      });
    expect(plan(42)).toEqual(plan(42));
    expect(plan(42)).not.toEqual(plan(43));
  });

  it('injects every chosen kind at least once, inside the middle of the load', () => {
    const kinds = parseFaults('all');
    const plan = planFaults(new Prng(7), { kinds, maxFaults: 6, durationMs: 75_000, processesOf });
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(kinds));
    for (const f of plan) expect(f.atMs).toBeGreaterThanOrEqual(7_500);
    for (const f of plan) expect(f.atMs).toBeLessThan(60_000);
    const times = plan.map((f) => f.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('kills only processes of the kind asked for', () => {
    const plan = planFaults(new Prng(1), {
      kinds: ['kill-participant'],
      maxFaults: 20,
      durationMs: 300_000,
      processesOf,
    });
    for (const f of plan) expect(f.target).toMatch(/^(account|product)-service-[12]$/);
  });

  it('expands the kill alias and rejects unknown kinds', () => {
    expect(parseFaults('kill')).toEqual(['kill-coordinator', 'kill-participant', 'kill-order']);
    expect(() => parseFaults('meteor')).toThrow(/unknown fault kind/);
    expect(parseOptions(['--quick', '--seed', '5'], {})).toMatchObject({
      seed: 5,
      durationMs: 75_000,
      quick: true,
    });
  });
});

describe('the order mix', () => {
  it('asks for more than the product ever had when the order must be refused for stock', () => {
    const mix = new OrderMix(new Prng(3), catalogue, 'k');
    const requests = Array.from({ length: 500 }, () => mix.next());
    const tooMuch = requests.filter((r) => r.kind === 'too-much-stock');
    expect(tooMuch.length).toBeGreaterThan(0);
    for (const r of tooMuch) {
      const product = catalogue.products.find((p) => p.id === r.body.productId)!;
      expect(r.body.quantity).toBeGreaterThan(product.stock);
    }
    for (const r of requests.filter((x) => x.kind === 'too-much-money')) {
      const product = catalogue.products.find((p) => p.id === r.body.productId)!;
      expect(r.body.quantity * product.price).toBeGreaterThan(1000);
      expect(r.body.customerId).toBe(1);
    }
  });
});

describe('the late-commit orders', () => {
  it('are a handful per run, at least one in --quick, answered before the load stops', () => {
    const quick = planLateCommits(new Prng(9), 75_000);
    expect(quick).toHaveLength(1);
    for (const at of quick) expect(at + LATE_COMMIT_WAIT_MS).toBeLessThan(75_000);
    expect(planLateCommits(new Prng(9), 180_000)).toHaveLength(3);
    expect(planLateCommits(new Prng(9), 3_600_000)).toHaveLength(MAX_LATE_COMMITS);
    expect(planLateCommits(new Prng(9), 10_000)).toHaveLength(1);
    expect(planLateCommits(new Prng(9), 180_000)).toEqual(planLateCommits(new Prng(9), 180_000));
  });

  it('are ordinary orders with the late-commit header, never to be confirmed; the mix itself never sends one', () => {
    const mix = new OrderMix(new Prng(5), catalogue, 'k');
    const late = mix.lateCommit();
    expect(late).toMatchObject({ kind: 'fault', fault: LATE_COMMIT });
    expect(late.idempotencyKey).toBeUndefined();
    expect(mustNotConfirm(late.kind)).toBe(true);
    expect(Array.from({ length: 2000 }, () => mix.next().fault)).not.toContain(LATE_COMMIT);
  });
});
