import { waitFor } from '@trx/test-support';
import { startPlatform, type Platform } from './platform';

let platform: Platform;

beforeAll(async () => {
  // One order in flight per product or customer and nobody may queue: the second is refused at once.
  platform = await startPlatform({
    orderEnv: { ORDER_MAX_IN_FLIGHT_PER_KEY: '1', ORDER_MAX_WAITERS_PER_KEY: '0' },
  });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

test('when an order is in flight on a product and no more may queue, then the next order on it answers 503 too-busy with Retry-After and changes nothing, and once the first is done the next is served', async () => {
  const before = await platform.snapshot();
  const holder = await platform.pools.account.connect();
  let first: ReturnType<Platform['postOrder']> | undefined;
  try {
    // The first order's withdrawal waits on the account row, so the order stays in flight.
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM accounts WHERE id = 1 FOR UPDATE');
    first = platform.postOrder({ customerId: 1, productId: 1, quantity: 1 });
    await waitFor(
      async () =>
        (await platform.query('account', `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'`))
          .length > 0,
      { description: 'the first order waiting on the account row' },
    );
    const res = await fetch(`${platform.urls.order}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await platform.credentials.customerToken(2)}`,
      },
      body: JSON.stringify({ customerId: 2, productId: 1, quantity: 1 }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({
      error: 'too-busy',
      retryable: true,
      details: { key: 'product:1', reason: 'queue-full' },
    });
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
  const answered = await first!;
  expect(answered.status).toBe(201);
  await platform.waitForSettled(answered.body.transactionId!);
  const metrics = await (await fetch(`${platform.urls.order}/metrics`)).text();
  expect(metrics).toMatch(/trx_order_too_busy_total\{reason="queue-full"[^}]*\} 1/);
  // Only the first order happened: the refused one left no order, reservation or withdrawal.
  const after = await platform.snapshot();
  expect(after.orders.confirmed).toBe(before.orders.confirmed + 1);
  expect(after.orders.rejected).toBe(before.orders.rejected);
  expect(after.stock[1]).toBe(before.stock[1]! - 1);
  const next = await platform.postOrder({ customerId: 2, productId: 1, quantity: 1 });
  expect(next.status).toBe(201);
  await platform.waitForSettled(next.body.transactionId!);
});
