import { routingKeys } from '@trx/protocol';
import { startPlatform, type Platform } from './platform';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ orderEnv: { ORDER_FAULT_INJECTION: 'true' } });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

afterEach(async () => {
  await platform.waitForAllSettled();
});

describe('X-Fault-Inject (ORDER_FAULT_INJECTION=true)', () => {
  test.each([
    ['after-reservation', ['product-service']],
    ['after-withdrawal', ['product-service', 'account-service']],
    ['before-commit', ['product-service', 'account-service', 'order-service']],
  ])(
    'when the order fails %s, then every prepared branch rolls back and nothing changes',
    async (fault, services) => {
      const before = await platform.snapshot();
      const { status, body } = await platform.postOrder(
        { customerId: 1, productId: 1, quantity: 2 },
        { 'X-Fault-Inject': fault },
      );

      expect(status).toBe(500);
      expect(body).toEqual({
        id: expect.any(String),
        status: 'REJECTED',
        error: 'injected-fault',
        message: expect.stringContaining(fault),
        transactionId: expect.any(String),
      });
      const tx = await platform.waitForSettled(body.transactionId!);
      expect(tx.status).toBe('rolled-back');
      expect(tx.reason).toContain('injected-fault');
      expect(tx.branches.map((b) => b.service).sort()).toEqual([...services].sort());
      expect(tx.branches.every((b) => b.status === 'rolled-back')).toBe(true);

      const after = await platform.snapshot();
      expect(after.stock).toEqual(before.stock);
      expect(after.balances).toEqual(before.balances);
      expect(after.reservations).toBe(before.reservations);
      expect(after.withdrawals).toBe(before.withdrawals);
      expect(after.orders).toEqual({
        confirmed: before.orders.confirmed,
        rejected: before.orders.rejected + 1,
      });
      expect(after.outbox).toBe(before.outbox);
      const rows = await platform.query('order', 'SELECT status, reason FROM orders WHERE id = $1', [
        body.id,
      ]);
      expect(rows).toEqual([{ status: 'REJECTED', reason: 'injected-fault' }]);
      expect(platform.events.withKey(routingKeys.orderConfirmed)).toHaveLength(0);
    },
  );

  test('an unknown fault point is an invalid request: 400 and nothing begun', async () => {
    const transactionsBefore = await platform.countTransactions();
    const { status, body } = await platform.postOrder(
      { customerId: 1, productId: 1, quantity: 1 },
      { 'X-Fault-Inject': 'during-lunch' },
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid-request', details: { allowed: expect.any(Array) } });
    expect(await platform.countTransactions()).toBe(transactionsBefore);
  });

  test('without the header, the order goes through', async () => {
    const { status, body } = await platform.postOrder({ customerId: 1, productId: 1, quantity: 1 });
    expect(status).toBe(201);
    expect((await platform.waitForSettled(body.transactionId!)).status).toBe('committed');
  });
});
