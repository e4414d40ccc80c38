import { TRANSACTION_HEADER } from '@trx/protocol';
import { waitFor, harnessPerFile } from '@trx/test-support';
import { ProductHarness, call } from './product-harness';

let h: ProductHarness;
let url: string;

harnessPerFile(ProductHarness.start, (started, app) => ((h = started), (url = app.url)));

const reservationsOf = (txId: string) =>
  h.sql('SELECT product_id, quantity, unit_price FROM reservations WHERE transaction_id = $1', [txId]);
const inTx = (txId: string) => ({ [TRANSACTION_HEADER]: txId });

describe('reading products', () => {
  it('serves the first-run data', async () => {
    const res = await call(url, 'GET', '/products');
    expect(res.status).toBe(200);
    expect(
      res.body.map((p: { id: number; stock: number; price: number }) => [p.id, p.stock, p.price]),
    ).toEqual([
      [1, 100, 20],
      [2, 150, 25],
      [3, 200, 18],
      [4, 10, 60],
    ]);
    expect(await call(url, 'GET', '/products/2')).toMatchObject({
      status: 200,
      body: { id: 2, stock: 150, price: 25 },
    });
    expect(await call(url, 'GET', '/products/9')).toMatchObject({
      status: 404,
      body: { error: 'unknown-product' },
    });
    expect(await call(url, 'GET', '/products/abc')).toMatchObject({
      status: 400,
      body: { error: 'invalid-request' },
    });
  });
});

describe('a reservation', () => {
  it('in a transaction that commits, then the stock and the reservation are stored, nothing left prepared', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const res = await call(url, 'POST', '/products/3/reservations', { quantity: 4 }, inTx(tx.id));
    expect(res).toEqual({ status: 201, body: { productId: 3, quantity: 4, unitPrice: 18, total: 72 } });
    expect(await h.stockOf(3)).toBe(200); // prepared, not yet visible
    await h.coordinator.commit(tx.id);
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
    expect(await h.stockOf(3)).toBe(196);
    expect(await reservationsOf(tx.id)).toEqual([{ product_id: 3, quantity: 4, unit_price: '18.00' }]);
    expect(await h.prepared()).toEqual([]);
  });

  it('in a transaction that rolls back, then nothing changes', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    expect((await call(url, 'POST', '/products/3/reservations', { quantity: 5 }, inTx(tx.id))).status).toBe(
      201,
    );
    await h.coordinator.rollback(tx.id, 'test');
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'rolled-back');
    expect(await h.stockOf(3)).toBe(196);
    expect(await reservationsOf(tx.id)).toEqual([]);
    expect(await h.prepared()).toEqual([]);
  });

  it('refuses too large quantities, unknown products and malformed bodies', async () => {
    const post = (path: string, body: unknown) => call(url, 'POST', path, body);
    expect(await post('/products/4/reservations', { quantity: 11 })).toMatchObject({
      status: 409,
      body: { error: 'insufficient-stock', details: { productId: 4, requested: 11, available: 10 } },
    });
    expect(await post('/products/9/reservations', { quantity: 1 })).toMatchObject({
      status: 404,
      body: { error: 'unknown-product' },
    });
    for (const quantity of [0, -1, 1.5, '2', undefined]) {
      expect(await post('/products/1/reservations', { quantity })).toMatchObject({
        status: 400,
        body: { error: 'invalid-request' },
      });
    }
    expect(await h.stockOf(4)).toBe(10);
  });

  it('when its transaction was already decided, then it is refused with transaction-decided', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await h.coordinator.rollback(tx.id, 'decided first');
    const res = await call(url, 'POST', '/products/1/reservations', { quantity: 1 }, inTx(tx.id));
    expect(res).toMatchObject({ status: 409, body: { error: 'transaction-decided' } });
    expect(await reservationsOf(tx.id)).toEqual([]);
  });
});

describe('concurrent reservations', () => {
  it('when 50 transactions reserve product 4 (stock 10) at once, then exactly 10 commit and stock ends at 0', async () => {
    const attempt = async () => {
      const tx = await h.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
      const res = await call(url, 'POST', '/products/4/reservations', { quantity: 1 }, inTx(tx.id));
      if (res.status === 201) await h.coordinator.commit(tx.id);
      else await h.coordinator.rollback(tx.id, res.body.error);
      return res.status === 201 ? 'reserved' : res.body.error;
    };
    const results = await Promise.all(Array.from({ length: 50 }, attempt));
    expect(results.filter((r) => r === 'reserved')).toHaveLength(10);
    expect(results.filter((r) => r === 'insufficient-stock')).toHaveLength(40);
    await waitFor(async () => (await h.prepared()).length === 0, { timeoutMs: 30_000 });
    expect(await h.stockOf(4)).toBe(0);
    const rows = await h.sql<{ count: string }>('SELECT count(*) FROM reservations WHERE product_id = 4');
    expect(Number(rows[0]!.count)).toBe(10);
  });

  it('when 50 local reservations of 3 hit product 1 (stock 100) at once, then 33 succeed and 1 is left', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => call(url, 'POST', '/products/1/reservations', { quantity: 3 })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(33);
    expect(results.filter((r) => r.status === 409)).toHaveLength(17);
    expect(await h.stockOf(1)).toBe(1);
  });
});
