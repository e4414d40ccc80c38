import { routingKeys, type DecisionBatchEvent } from '@trx/protocol';
import { metricValue, scrapeMetrics, waitFor } from '@trx/test-support';
import { startPlatform, type Platform } from './platform';
import { SEED, type Snapshot } from './platform-probe';

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

describe('POST /orders', () => {
  test('the platform starts from the seed data', async () => {
    const snapshot = await platform.snapshot();
    expect(snapshot.stock).toEqual(SEED.stock);
    expect(snapshot.balances).toEqual(SEED.balances);
  });

  test('when stock and money suffice, then every branch commits: stock, balance and the order change, order.confirmed is published', async () => {
    const before = await platform.snapshot();
    const { status, body } = await platform.postOrder({ customerId: 1, productId: 1, quantity: 3 });

    expect(status).toBe(201);
    expect(body).toEqual({
      id: expect.any(String),
      status: 'CONFIRMED',
      customerId: 1,
      productId: 1,
      quantity: 3,
      unitPrice: 20,
      total: 60,
      transactionId: expect.any(String),
    });
    const tx = await platform.waitForSettled(body.transactionId!);
    expect(tx.status).toBe('committed');
    expect(tx.branches.map((b) => [b.service, b.status]).sort()).toEqual([
      ['account-service', 'committed'],
      ['order-service', 'committed'],
      ['product-service', 'committed'],
    ]);
    // Every branch was enlisted with the commit; order-service finished its own branch itself,
    // so the decision went out to the two other services only.
    const decisionsFor = (service: string) =>
      platform.events
        .withKey(routingKeys.decision(service))
        .flatMap((m) => (m.body as unknown as DecisionBatchEvent).decisions)
        .filter((d) => d.transactionId === body.transactionId);
    await waitFor(
      () => decisionsFor('product-service').length > 0 && decisionsFor('account-service').length > 0,
      {
        description: 'decisions for product-service and account-service',
      },
    );
    expect(decisionsFor('order-service')).toEqual([]);
    const after = await platform.snapshot();
    expect(after.stock[1]).toBe(before.stock[1]! - 3);
    expect(after.balances[1]).toBe(before.balances[1]! - 60);
    expect(after.reservations).toBe(before.reservations + 1);
    expect(after.withdrawals).toBe(before.withdrawals + 1);
    expect(after.orders.confirmed).toBe(before.orders.confirmed + 1);
    const rows = await platform.query(
      'order',
      'SELECT status, unit_price, total, transaction_id FROM orders WHERE id = $1',
      [body.id],
    );
    expect(rows).toEqual([
      { status: 'CONFIRMED', unit_price: '20.00', total: '60.00', transaction_id: body.transactionId },
    ]);

    const event = await waitFor(
      () => platform.events.withKey(routingKeys.orderConfirmed).find((m) => m.body.orderId === body.id),
      {
        description: 'order.confirmed published',
      },
    );
    expect(event.persistent).toBe(true);
    expect(event.messageId).toBe(event.body.messageId);
    expect(event.body).toMatchObject({
      type: 'order.confirmed',
      orderId: body.id,
      transactionId: body.transactionId,
      customerId: 1,
      productId: 1,
      quantity: 3,
      unitPrice: 20,
      total: 60,
    });
    // The event rode on the commit (published by the coordinator with the decision): no outbox row here.
    expect(await platform.query('order', 'SELECT id FROM outbox')).toEqual([]);
  });

  test.each([
    [
      'the stock is too small',
      { customerId: 1, productId: 4, quantity: 11 },
      'insufficient-stock',
      // product-service refused before preparing: nothing was prepared, nothing to enlist.
      [],
    ],
    [
      'the account has too little money',
      { customerId: 1, productId: 2, quantity: 50 },
      'insufficient-funds',
      // account-service refused before preparing (no account covers the total): nothing to enlist.
      ['product-service'],
    ],
    [
      'the product does not exist',
      { customerId: 1, productId: 99, quantity: 1 },
      'unknown-product',
      // product-service refused before preparing: nothing was prepared, nothing to enlist.
      [],
    ],
    [
      'the customer does not exist',
      { customerId: 99, productId: 1, quantity: 1 },
      'unknown-customer',
      // account-service refused before preparing (the customer has no account).
      ['product-service'],
    ],
  ])(
    'when %s, then every branch rolls back and the order is kept REJECTED',
    async (_case, order, error, services) => {
      const before = await platform.snapshot();
      const { status, body } = await platform.postOrder(order);

      expect(status).toBe(409);
      expect(body).toEqual({
        id: expect.any(String),
        status: 'REJECTED',
        error,
        message: expect.any(String),
        transactionId: expect.any(String),
      });
      const tx = await platform.waitForSettled(body.transactionId!);
      expect(tx.status).toBe('rolled-back');
      expect(tx.reason).toEqual(expect.any(String));
      expect(tx.branches.every((b) => b.status === 'rolled-back' || b.status === 'failed')).toBe(true);
      expect(new Set(tx.branches.map((b) => b.service))).toEqual(new Set(services));
      expect(tx.branches.some((b) => b.service === 'order-service')).toBe(false);
      await expectUnchanged(before, { rejected: 1 });
      const rows = await platform.query(
        'order',
        'SELECT status, reason, transaction_id FROM orders WHERE id = $1',
        [body.id],
      );
      expect(rows).toEqual([{ status: 'REJECTED', reason: error, transaction_id: body.transactionId }]);
      expect(
        platform.events.withKey(routingKeys.orderConfirmed).some((m) => m.body.orderId === body.id),
      ).toBe(false);
    },
  );

  test.each([
    ['a missing field', { customerId: 1, productId: 1 }],
    ['a zero quantity', { customerId: 1, productId: 1, quantity: 0 }],
    ['a negative id', { customerId: -1, productId: 1, quantity: 1 }],
    ['a fractional quantity', { customerId: 1, productId: 1, quantity: 1.5 }],
    ['a string number', { customerId: '1', productId: 1, quantity: 1 }],
    ['malformed JSON', '{"customerId": 1,'],
  ])('when the request has %s, then 400 and nothing is begun', async (_case, order) => {
    const before = await platform.snapshot();
    const transactionsBefore = await platform.countTransactions();
    const { status, body } = await platform.postOrder(order);

    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid-request', message: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/);
    expect(await platform.countTransactions()).toBe(transactionsBefore);
    await expectUnchanged(before, { rejected: 0 });
  });

  test('an order calls each participant once: a reservation and a charge, no read of the balances', async () => {
    const before = {
      product: await served(platform.urls.product),
      account: await served(platform.urls.account),
    };
    const { status, body } = await platform.postOrder({ customerId: 2, productId: 1, quantity: 1 });
    expect(status).toBe(201);
    await platform.waitForSettled(body.transactionId!);
    const after = {
      product: await served(platform.urls.product),
      account: await served(platform.urls.account),
    };
    expect(difference(before.product, after.product)).toEqual({ 'POST /products/:id/reservations 201': 1 });
    expect(difference(before.account, after.account)).toEqual({ 'POST /customers/:id/withdrawals 201': 1 });
  });

  test('when fault injection is off, then the X-Fault-Inject header is ignored', async () => {
    const { status, body } = await platform.postOrder(
      { customerId: 2, productId: 3, quantity: 1 },
      { 'x-fault-inject': 'after-reservation' },
    );
    expect(status).toBe(201);
    expect((await platform.waitForSettled(body.transactionId!)).status).toBe('committed');
  });
});

describe('GET /orders', () => {
  test('an order can be read by id once its branch committed, and listed by customer', async () => {
    const { body } = await platform.postOrder({ customerId: 2, productId: 1, quantity: 1 });
    await platform.waitForSettled(body.transactionId!);
    const one = await platform.getJson(`${platform.urls.order}/orders/${body.id}`);
    expect(one).toEqual({
      status: 200,
      body: expect.objectContaining({ id: body.id, status: 'CONFIRMED', reason: null }),
    });
    const list = await platform.getJson(`${platform.urls.order}/orders?customerId=2`);
    expect(list.status).toBe(200);
    expect((list.body as { items: { id: string }[] }).items.map((o) => o.id)).toContain(body.id);
  });

  test("a customer's orders come a page at a time, newest first, every order once; a bad cursor is 400", async () => {
    for (let i = 0; i < 3; i++) await platform.postOrder({ customerId: 2, productId: 2, quantity: 1 });
    const expected = (
      await platform.query<{ id: string }>(
        'order',
        'SELECT id FROM orders WHERE customer_id = 2 ORDER BY created_at DESC, id DESC',
      )
    ).map((r) => r.id);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `customerId=2&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await platform.getJson(`${platform.urls.order}/orders?${query}`)).body as {
        items: { id: string }[];
        next: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(expected);
    for (const query of ['customerId=2&cursor=nope', 'customerId=2&limit=101', 'customerId=2&offset=3']) {
      expect(await platform.getJson(`${platform.urls.order}/orders?${query}`)).toMatchObject({
        status: 400,
        body: { error: 'invalid-request' },
      });
    }
  });

  test('unknown ids answer 404 order-not-found, a bad customerId 400', async () => {
    const missing = await platform.getJson(
      `${platform.urls.order}/orders/00000000-0000-4000-8000-000000000000`,
    );
    expect(missing).toEqual({ status: 404, body: { error: 'order-not-found', message: expect.any(String) } });
    expect((await platform.getJson(`${platform.urls.order}/orders/not-a-uuid`)).status).toBe(404);
    expect((await platform.getJson(`${platform.urls.order}/orders`)).status).toBe(400);
    expect((await platform.getJson(`${platform.urls.order}/orders?customerId=abc`)).body).toMatchObject({
      error: 'invalid-request',
    });
  });

  test('health and metrics', async () => {
    expect(await platform.getJson(`${platform.urls.order}/health/ready`)).toEqual({
      status: 200,
      body: { status: 'up', checks: { database: 'up', broker: 'up', coordinator: 'up' } },
    });
    const metrics = await (await fetch(`${platform.urls.order}/metrics`)).text();
    expect(metrics).toMatch(/trx_orders_total\{[^}]*outcome="confirmed"/);
    expect(metrics).toMatch(/trx_order_duration_seconds_bucket/);
    // The participant runtime's metrics are on the same registry: the order's branch was prepared here.
    expect(metrics).toMatch(/trx_participant_branches_total\{[^}]*result="prepared"[^}]*\} [1-9]/);
    expect(metricValue(metrics, 'trx_participant_prepared_branches')).toBe(0);
    expect(metricValue(metrics, 'trx_participant_prepared_branches_oldest_age_seconds')).toBe(0);
    expect(metricValue(metrics, 'trx_broker_connected')).toBe(1);
  });
});

/** The requests an app has answered, by "METHOD route status", less its /metrics and /health. */
async function served(appUrl: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [, labels, value] of (await scrapeMetrics(appUrl)).matchAll(
    /^http_requests_total\{([^}]*)\} (\S+)$/gm,
  )) {
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels!)?.[1] ?? '';
    if (/^\/(metrics|health)/.test(label('route'))) continue;
    const key = `${label('method')} ${label('route')} ${label('status')}`;
    counts[key] = (counts[key] ?? 0) + Number(value);
  }
  return counts;
}

/** What grew from `before` to `after`, by how much. */
function difference(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n !== 0),
  );
}

/** Nothing changed in product, account and the confirmed orders; `rejected` REJECTED orders were added. */
async function expectUnchanged(before: Snapshot, added: { rejected: number }) {
  const after = await platform.snapshot();
  expect(after.stock).toEqual(before.stock);
  expect(after.balances).toEqual(before.balances);
  expect(after.reservations).toBe(before.reservations);
  expect(after.withdrawals).toBe(before.withdrawals);
  expect(after.orders.confirmed).toBe(before.orders.confirmed);
  expect(after.orders.rejected).toBe(before.orders.rejected + added.rejected);
  expect(after.outbox).toBe(before.outbox);
}
