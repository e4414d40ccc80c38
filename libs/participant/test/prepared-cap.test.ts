import { CAP_CHECK_RULE, PreparedGauge, shouldCheckCap } from '../src/prepared-cap';
import { prepareBranchSql, preparedCountOf } from '../src/branch-sql';
import type { QueryResult } from 'pg';

const txId = '16bd7aef-baea-4fba-91f7-94e3a9931e2a';
const gid = `trx:account-service:${txId}:0123456789ab`;

describe('shouldCheckCap', () => {
  it('never checks without a cap', () => {
    expect(shouldCheckCap(0, 1000, Number.POSITIVE_INFINITY)).toBe(false);
  });

  it('below half the cap, with a fresh reading, sends no check', () => {
    expect(shouldCheckCap(160, 0, 0)).toBe(false);
    expect(shouldCheckCap(160, 79, 999)).toBe(false);
  });

  it('checks at half the cap and above', () => {
    expect(shouldCheckCap(160, 80, 0)).toBe(true);
    expect(shouldCheckCap(160, 500, 0)).toBe(true);
    expect(shouldCheckCap(1, 1, 0)).toBe(true);
  });

  it('checks once the reading is a second old, never read, or from a clock that went back', () => {
    expect(shouldCheckCap(160, 0, 1000)).toBe(true);
    expect(shouldCheckCap(160, 0, Number.POSITIVE_INFINITY)).toBe(true);
    expect(shouldCheckCap(160, 0, -5)).toBe(true);
  });

  it('takes another rule', () => {
    expect(shouldCheckCap(100, 80, 0, { fraction: 0.9, maxReadingAgeMs: 1000 })).toBe(false);
    expect(shouldCheckCap(100, 0, 50, { fraction: 0.9, maxReadingAgeMs: 10 })).toBe(true);
    expect(CAP_CHECK_RULE).toEqual({ fraction: 0.5, maxReadingAgeMs: 1000 });
  });
});

describe('PreparedGauge', () => {
  let now = 0;
  const gauge = (max: number) => new PreparedGauge(max, () => now);
  beforeEach(() => (now = 1_000_000));

  /** One prepare, as the runner does it: the check's answer is the count before it. */
  function prepare(g: PreparedGauge, countBefore?: number): boolean {
    const ticket = g.begin();
    g.settle(ticket, { prepared: true, count: ticket.check ? countBefore : undefined });
    return ticket.check;
  }

  it('checks the first prepare (no reading yet), then counts its own prepares until half the cap', () => {
    const g = gauge(10);
    expect(prepare(g, 2)).toBe(true);
    expect(g.estimate()).toBe(3);
    expect(prepare(g)).toBe(false);
    expect(g.estimate()).toBe(4);
    expect(prepare(g)).toBe(false);
    expect(g.estimate()).toBe(5);
    // At half the cap: every prepare reads again, and its answer resets the estimate.
    expect(prepare(g, 1)).toBe(true);
    expect(g.estimate()).toBe(2);
    expect(prepare(g)).toBe(false);
  });

  it('finishes of this process bring the estimate down, never below zero', () => {
    const g = gauge(10);
    prepare(g, 0);
    for (let i = 0; i < 3; i++) prepare(g);
    expect(g.estimate()).toBe(4);
    for (let i = 0; i < 6; i++) g.finishedOne();
    expect(g.estimate()).toBe(0);
    expect(prepare(g)).toBe(false);
  });

  it('counts prepares in flight, and a failed one not at all', () => {
    const g = gauge(10);
    prepare(g, 0);
    const a = g.begin();
    const b = g.begin();
    expect(g.estimate()).toBe(3);
    g.settle(a, { prepared: false });
    g.settle(b, { prepared: true });
    expect(g.estimate()).toBe(2);
  });

  it('once the reading is a second old, the next prepare checks again', () => {
    const g = gauge(160);
    expect(prepare(g, 0)).toBe(true);
    now += 999;
    expect(prepare(g)).toBe(false);
    now += 1;
    expect(prepare(g, 0)).toBe(true);
    expect(prepare(g)).toBe(false);
  });

  it('a refusal by the cap reads as the cap: the prepares after it check until a reading is lower', () => {
    const g = gauge(4);
    const refused = g.begin();
    expect(refused.check).toBe(true);
    g.settle(refused, { prepared: false, capReached: true });
    expect(g.estimate()).toBe(4);
    expect(prepare(g, 3)).toBe(true);
    expect(g.estimate()).toBe(4);
    g.finishedOne();
    g.finishedOne();
    g.finishedOne();
    expect(g.estimate()).toBe(1);
    expect(prepare(g)).toBe(false);
  });

  it('a failed check that is not the cap leaves the reading as it was (stale: the next prepare checks)', () => {
    const g = gauge(160);
    const t = g.begin();
    g.settle(t, { prepared: false });
    expect(g.begin().check).toBe(true);
  });

  it('takes the scrape-time summary as a reading, counting prepares that completed meanwhile on top', async () => {
    const g = gauge(160);
    const summary = { count: 7, oldestAgeSeconds: 0 };
    await expect(g.measure(async () => summary)).resolves.toBe(summary);
    expect(g.estimate()).toBe(7);
    await g.measure(async () => {
      prepare(g); // it may or may not be among the 7: counted on top
      return summary;
    });
    expect(g.estimate()).toBe(8);
    expect(prepare(g)).toBe(false);
  });

  it('drops a reading that started before the one it keeps', async () => {
    const g = gauge(160);
    let answer: (count: { count: number }) => void = () => undefined;
    const slow = g.measure(() => new Promise<{ count: number }>((resolve) => (answer = resolve)));
    now += 10;
    prepare(g, 3);
    answer({ count: 50 });
    await slow;
    expect(g.estimate()).toBe(4);
  });
});

describe('the closing message', () => {
  it('carries the check only when given a cap, first, answering the count', () => {
    expect(prepareBranchSql(gid, txId)).toBe(
      `INSERT INTO trx_branch (gid, transaction_id) VALUES ('${gid}', '${txId}'); PREPARE TRANSACTION '${gid}'; RESET ALL`,
    );
    expect(prepareBranchSql(gid, txId, { service: 'account-service', max: 160 })).toMatch(
      /^SELECT trx_prepared_count_below\('trx:account-service:', 160\) AS prepared; INSERT INTO trx_branch /,
    );
  });

  it("reads the check's count from pg's results, one per statement", () => {
    const result = (rows: unknown[]): QueryResult => ({
      command: 'SELECT',
      rowCount: rows.length,
      oid: 0,
      fields: [],
      rows,
    });
    expect(preparedCountOf([result([{ prepared: 3 }]), result([]), result([]), result([])])).toBe(3);
    expect(preparedCountOf(result([{ prepared: 0 }]))).toBe(0);
    expect(preparedCountOf([result([])])).toBeUndefined();
    expect(preparedCountOf([])).toBeUndefined();
  });
});
