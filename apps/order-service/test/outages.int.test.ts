import { PRESUMED_ABORT } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import { closedPortUrl, startPlatform, type Platform } from './platform';

async function withPlatform(
  options: Parameters<typeof startPlatform>[0],
  body: (p: Platform) => Promise<void>,
) {
  const platform = await startPlatform(options);
  try {
    await body(platform);
    await platform.waitForAllSettled();
  } finally {
    await platform.stop();
  }
}

const order = { customerId: 1, productId: 1, quantity: 2 };

/** The prepared transactions of one service's database (pg_prepared_xacts lists the whole cluster's). */
const preparedIn = (platform: Platform, db: 'order' | 'product' | 'account') =>
  platform.query<{ gid: string }>(
    db,
    'SELECT gid FROM pg_prepared_xacts WHERE database = current_database()',
  );

/** A public answer names the dependency, never an address or a driver's words. */
const INTERNALS = /127\.0\.0\.1|localhost|:\d{2,5}\b|ECONN|EHOST|ETIMEDOUT|getaddrinfo|socket/i;

test('when the account-service cannot be reached, then the reservation rolls back, the order is kept REJECTED and the answer is 503', async () => {
  await withPlatform({ orderSees: { 'account-service': await closedPortUrl() } }, async (platform) => {
    const before = await platform.snapshot();
    const { status, body } = await platform.postOrder(order);

    expect(status).toBe(503);
    expect(body).toMatchObject({
      error: 'participant-unavailable',
      message: 'account-service is unavailable; retry',
      retryable: true,
    });
    expect(JSON.stringify(body)).not.toMatch(INTERNALS);
    const { orderId, transactionId } = (body as { details: { orderId: string; transactionId: string } })
      .details;
    const tx = await platform.waitForSettled(transactionId);
    expect(tx.status).toBe('rolled-back');
    expect(tx.branches.map((b) => [b.service, b.status])).toEqual([['product-service', 'rolled-back']]);
    const after = await platform.snapshot();
    expect(after.stock).toEqual(before.stock);
    expect(after.reservations).toBe(before.reservations);
    const rows = await platform.query('order', 'SELECT status, reason FROM orders WHERE id = $1', [orderId]);
    expect(rows).toEqual([{ status: 'REJECTED', reason: 'participant-unavailable' }]);
  });
}, 60_000);

test('when the coordinator cannot be reached, then 503, and once the deadline passed the participants roll back (presumed abort)', async () => {
  // No begin round trip: the order prepares every branch and only the commit finds the
  // coordinator gone. Its fate is the coordinator's: past the deadline the participants'
  // recovery asks, the coordinator records the unknown transaction rolled back (a tombstone)
  // and they roll back.
  await withPlatform(
    {
      orderSees: { 'transaction-server': await closedPortUrl() },
      env: { TRX_DEFAULT_TIMEOUT_MS: '2000', TRX_RECOVERY_INTERVAL_MS: '500' },
    },
    async (platform) => {
      const before = await platform.snapshot();
      const { status, body } = await platform.postOrder(order);

      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'coordinator-unavailable', retryable: true });
      expect(JSON.stringify(body)).not.toMatch(INTERNALS);
      const { transactionId } = (body as { details: { transactionId: string } }).details;
      const tx = await waitFor(
        async () => {
          const t = await platform.coordinator.get(transactionId).catch(() => undefined);
          return t?.status === 'rolled-back' ? t : undefined;
        },
        { description: 'the tombstone', timeoutMs: 20_000 },
      );
      expect(tx).toMatchObject({ decision: 'rollback', reason: PRESUMED_ABORT });
      await waitFor(
        async () =>
          (await preparedIn(platform, 'product')).length === 0 &&
          (await preparedIn(platform, 'account')).length === 0,
        { description: 'product and account branches rolled back', timeoutMs: 20_000 },
      );
      const after = await platform.snapshot();
      expect(after.stock).toEqual(before.stock);
      expect(after.balances).toEqual(before.balances);
      expect(after.orders.confirmed).toBe(before.orders.confirmed);
      // The order-service's own branch waits for a coordinator it can't reach (in doubt, as an
      // unanswered commit always is); here the operator ends it by the tombstone's word.
      const own = await preparedIn(platform, 'order');
      expect(own).toHaveLength(1);
      await platform.orderApp.participant.finish(transactionId, own[0]!.gid, 'rollback');
    },
  );
}, 60_000);

test('when the transaction times out before the commit, then every branch rolls back and the answer is 409 transaction-rolled-back', async () => {
  // The coordinator's timeout bounds a transaction nobody began: 1 ms, so every commit comes too late.
  await withPlatform({ env: { TRX_DEFAULT_TIMEOUT_MS: '1' } }, async (platform) => {
    const before = await platform.snapshot();
    const { status, body } = await platform.postOrder(order);

    expect(status).toBe(409);
    expect(body).toMatchObject({ status: 'REJECTED', error: 'transaction-rolled-back' });
    const tx = await platform.waitForSettled(body.transactionId!);
    expect(tx.status).toBe('rolled-back');
    expect(tx.branches.every((b) => b.status === 'rolled-back')).toBe(true);
    const after = await platform.snapshot();
    expect(after.stock).toEqual(before.stock);
    expect(after.balances).toEqual(before.balances);
    expect(after.orders).toEqual({ confirmed: 0, rejected: 1 });
  });
}, 60_000);
