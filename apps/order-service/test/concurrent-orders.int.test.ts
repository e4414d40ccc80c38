import { startPlatform, type Platform } from './platform';
import { SEED } from './platform-probe';

let platform: Platform;

beforeAll(async () => {
  // Every one of the 200 orders queues on product 4 here: the per-key queue's bound (64 by
  // default, then 503 too-busy) and the row-lock wait (3 s, then 503 lock-timeout; on a loaded
  // machine eight reservations queued on one row can wait that long) are lifted, so the test
  // sees the stock decide each order. Both bounds have tests of their own (bounds.int.test.ts).
  platform = await startPlatform({
    env: { DB_LOCK_TIMEOUT_MS: '60000' },
    orderEnv: { ORDER_MAX_WAITERS_PER_KEY: '200', ORDER_MAX_WAIT_MS: '0' },
  });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

const sum = (values: number[]) => values.reduce((a, b) => a + Math.round(b * 100), 0);

describe('contention', () => {
  test('200 concurrent orders of 1 unit of product 4 (stock 10): exactly 10 confirmed, stock 0, money conserved', async () => {
    const startingCents = sum(Object.values(SEED.balances));
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => platform.postOrder({ customerId: 3, productId: 4, quantity: 1 })),
    );
    console.log(`200 concurrent orders answered in ${Math.round(performance.now() - started)} ms`);
    const byStatus = answers.reduce<Record<string, number>>((acc, a) => {
      const key = `${a.status} ${a.body.error ?? a.body.status}`;
      acc[key] = (acc[key] ?? 0) + 1;
      return acc;
    }, {});
    expect(byStatus).toEqual({ '201 CONFIRMED': 10, '409 insufficient-stock': 190 });

    await platform.waitForAllSettled(90_000);
    const after = await platform.snapshot();
    expect(after.stock[4]).toBe(0);
    expect(after.orders).toEqual({ confirmed: 10, rejected: 190 });
    expect(after.reservations).toBe(10);
    expect(after.withdrawals).toBe(10);
    const totals = await platform.query<{ total: string }>(
      'order',
      `SELECT total FROM orders WHERE status = 'CONFIRMED'`,
    );
    expect(sum(Object.values(after.balances)) + sum(totals.map((t) => Number(t.total)))).toBe(startingCents);
    expect(after.balances[3]).toBe(5000 - 10 * 60);

    const confirmed = answers.filter((a) => a.status === 201);
    for (const answer of confirmed) {
      const tx = await platform.coordinator.get(answer.body.transactionId!);
      expect(tx.status).toBe('committed');
      expect(tx.branches.map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);
    }
  }, 180_000);
});
