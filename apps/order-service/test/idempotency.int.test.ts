import { startPlatform, type Platform } from './platform';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

afterEach(async () => {
  await platform.waitForAllSettled();
});

const order = { customerId: 2, productId: 1, quantity: 2 };

describe('Idempotency-Key', () => {
  test('a repeat of a confirmed order returns the first answer and places nothing new', async () => {
    const first = await platform.postOrder(order, { 'Idempotency-Key': 'key-confirmed-1' });
    expect(first.status).toBe(201);
    await platform.waitForSettled(first.body.transactionId!);
    const before = await platform.snapshot();

    const repeat = await platform.postOrder(order, { 'Idempotency-Key': 'key-confirmed-1' });
    expect(repeat).toEqual(first);
    await platform.waitForAllSettled();
    expect(await platform.snapshot()).toEqual(before);
    const rows = await platform.query('order', 'SELECT id FROM orders WHERE idempotency_key = $1', [
      'key-confirmed-1',
    ]);
    expect(rows).toEqual([{ id: first.body.id }]);
  });

  test('a repeat of a refused order returns the same 409 and keeps one REJECTED order', async () => {
    const refused = { customerId: 1, productId: 4, quantity: 11 };
    const first = await platform.postOrder(refused, { 'Idempotency-Key': 'key-refused-1' });
    expect(first.status).toBe(409);
    const repeat = await platform.postOrder(refused, { 'Idempotency-Key': 'key-refused-1' });
    expect(repeat).toEqual(first);
    const rows = await platform.query('order', 'SELECT status FROM orders WHERE idempotency_key = $1', [
      'key-refused-1',
    ]);
    expect(rows).toEqual([{ status: 'REJECTED' }]);
  });

  test('the same key with another order is refused (422) and places nothing', async () => {
    await platform.postOrder(order, { 'Idempotency-Key': 'key-reused-1' });
    await platform.waitForAllSettled();
    const before = await platform.snapshot();
    const other = await platform.postOrder({ ...order, quantity: 5 }, { 'Idempotency-Key': 'key-reused-1' });
    expect(other).toEqual({
      status: 422,
      body: { error: 'idempotency-key-reused', message: expect.any(String) },
    });
    expect(await platform.snapshot()).toEqual(before);
  });

  test('a repeat while the first is still running answers 425 request-in-progress (retryable)', async () => {
    // The first attempt's durable in-progress key, as a running attempt leaves it.
    await platform.query(
      'order',
      `INSERT INTO idempotency_keys (key, fingerprint, state) VALUES ($1, $2, 'in-progress')`,
      ['key-running-1', JSON.stringify([order.customerId, order.productId, order.quantity, null])],
    );
    const transactionsBefore = await platform.countTransactions();
    const raw = await fetch(`${platform.urls.order}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'Idempotency-Key': 'key-running-1',
        authorization: `Bearer ${await platform.credentials.customerToken(order.customerId)}`,
      },
      body: JSON.stringify(order),
    });
    expect(raw.headers.get('retry-after')).toBe('1');
    const repeat = { status: raw.status, body: await raw.json() };
    expect(repeat).toEqual({
      status: 425,
      body: { error: 'request-in-progress', message: expect.any(String), retryable: true },
    });
    expect(await platform.countTransactions()).toBe(transactionsBefore);
  });

  test('two concurrent requests with one key place one order', async () => {
    const before = await platform.snapshot();
    const answers = await Promise.all(
      [1, 2, 3].map(() => platform.postOrder(order, { 'Idempotency-Key': 'key-concurrent-1' })),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201 || a.status === 425)).toBe(true);
    await platform.waitForAllSettled();
    const after = await platform.snapshot();
    expect(after.orders.confirmed).toBe(before.orders.confirmed + 1);
    expect(after.stock[1]).toBe(before.stock[1]! - order.quantity);
  });
});
