import { startPlatform, type Platform } from './platform';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * Measures the time of one order (sequential, on an otherwise idle platform) and what a
 * read right after the 201 sees. The commit decision reaches the branches asynchronously
 * (over RabbitMQ), so such a read may still see the old stock and balance; this test
 * reports how often, and asserts only that every read converges.
 */
describe('one order at a time', () => {
  test('50 sequential orders: latency and read-after-201', async () => {
    const durations: number[] = [];
    const stale = { stock: 0, balance: 0, order: 0 };
    for (let i = 1; i <= 50; i++) {
      const started = performance.now();
      const { status, body } = await platform.postOrder({ customerId: 3, productId: 3, quantity: 1 });
      durations.push(performance.now() - started);
      expect(status).toBe(201);
      const [product, accounts, order] = await Promise.all([
        platform.getJson(`${platform.urls.product}/products/3`),
        platform.getJson(`${platform.urls.account}/accounts?customerId=3`),
        platform.getJson(`${platform.urls.order}/orders/${body.id}`),
      ]);
      if ((product.body as { stock: number }).stock !== 200 - i) stale.stock++;
      if ((accounts.body as { items: { balance: number }[] }).items[0]!.balance !== 5000 - 18 * i)
        stale.balance++;
      if (order.status !== 200) stale.order++;
      await platform.waitForSettled(body.transactionId!);
    }
    const sorted = [...durations].sort((a, b) => a - b);
    const report = {
      orders: durations.length,
      p50Ms: Math.round(percentile(sorted, 0.5)),
      p95Ms: Math.round(percentile(sorted, 0.95)),
      maxMs: Math.round(sorted[sorted.length - 1]!),
      staleReadsRightAfter201: stale,
    };
    console.log(`order latency and read-after-201: ${JSON.stringify(report)}`);
    const after = await platform.snapshot();
    expect({ stock: after.stock[3], balance: after.balances[3], orders: after.orders }).toEqual({
      stock: 150,
      balance: 5000 - 18 * 50,
      orders: { confirmed: 50, rejected: 0 },
    });
  }, 120_000);
});
