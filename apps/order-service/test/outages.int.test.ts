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

test('when the coordinator cannot be reached at begin, then 503 and nothing is stored', async () => {
  await withPlatform({ orderSees: { 'transaction-server': await closedPortUrl() } }, async (platform) => {
    const before = await platform.snapshot();
    const { status, body } = await platform.postOrder(order);

    expect(status).toBe(503);
    expect(body).toEqual({ error: 'coordinator-unavailable', message: expect.any(String), retryable: true });
    expect(JSON.stringify(body)).not.toMatch(INTERNALS);
    expect(await platform.snapshot()).toEqual(before);
    expect(await platform.countTransactions()).toBe(0);
    const ready = await platform.getJson(`${platform.urls.order}/health/ready`);
    expect(ready).toEqual({
      status: 503,
      body: { status: 'not-ready', checks: { database: 'up', broker: 'up', coordinator: 'down' } },
    });
  });
}, 60_000);

test('when the transaction times out before the commit, then every branch rolls back and the answer is 409 transaction-rolled-back', async () => {
  await withPlatform({ orderEnv: { ORDER_TRANSACTION_TIMEOUT_MS: '1' } }, async (platform) => {
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
