import { startPlatform, type Platform } from './platform';

/**
 * The benchmark's baseline: the same calls and writes with no coordinator. It must only
 * be reachable when ORDER_BASELINE_MODE is on, and then involve no transaction at all.
 */
let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ orderEnv: { ORDER_BASELINE_MODE: 'true' } });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

test('a baseline order commits the same writes in every database and begins no transaction', async () => {
  const before = await platform.snapshot();
  const { status, body } = await platform.postOrder(
    { customerId: 2, productId: 2, quantity: 4 },
    { 'x-trx-mode': 'baseline' },
  );

  expect(status).toBe(201);
  expect(body).toMatchObject({ status: 'CONFIRMED', unitPrice: 25, total: 100, transactionId: null });
  const after = await platform.snapshot();
  expect(after.stock[2]).toBe(before.stock[2]! - 4);
  expect(after.balances[2]).toBe(before.balances[2]! - 100);
  expect(after.orders.confirmed).toBe(before.orders.confirmed + 1);
  expect(after.reservations).toBe(before.reservations + 1);
  expect(after.withdrawals).toBe(before.withdrawals + 1);
  expect(await platform.countTransactions()).toBe(0);
  expect(await platform.prepared()).toEqual({ coordinator: [], order: [], account: [], product: [] });
});

test('without the header the same service still places atomic orders', async () => {
  const { status, body } = await platform.postOrder({ customerId: 1, productId: 1, quantity: 1 });
  expect(status).toBe(201);
  const transaction = await platform.coordinator.get(String(body.transactionId));
  expect(['committing', 'committed']).toContain(transaction.status);
  await platform.waitForAllSettled();
});
