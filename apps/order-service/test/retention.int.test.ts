import { waitFor } from '@trx/test-support';
import { startPlatform, type Platform } from './platform';

const DAY = 24 * 3600_000;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
let platform: Platform;

beforeAll(async () => {
  // Baseline mode on too: only a baseline order writes an order.confirmed outbox row (a trx
  // order's event rides on the commit), and retention must still clear those.
  platform = await startPlatform({ orderClock: clock, orderEnv: { ORDER_BASELINE_MODE: 'true' } });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

const count = async (sql: string) => (await platform.query<{ n: number }>('order', sql))[0]!.n;

test('when the retention period has passed, then published outbox rows, Idempotency-Keys and trx_branch rows are deleted in batches, and the next order is served', async () => {
  const first = await platform.postOrder(
    { customerId: 1, productId: 1, quantity: 1 },
    { 'idempotency-key': 'retained-1' },
  );
  expect(first.status).toBe(201);
  await platform.waitForSettled(first.body.transactionId!);
  const baseline = await platform.postOrder(
    { customerId: 1, productId: 1, quantity: 1 },
    { 'x-trx-mode': 'baseline' },
  );
  expect(baseline.status).toBe(201);
  await waitFor(
    async () => (await count('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')) === 0,
    {
      description: 'order.confirmed published',
    },
  );
  expect(await platform.orderApp.retention.runOnce()).toEqual({ outbox: 0, idempotencyKeys: 0 });
  expect((await platform.orderApp.participant.retention.runOnce()).deleted).toBe(0);

  offsetMs = 7 * DAY + 60_000;
  const own = await platform.orderApp.retention.runOnce();
  expect(own.outbox).toBeGreaterThanOrEqual(1);
  expect(own.idempotencyKeys).toBeGreaterThanOrEqual(1);
  const branches = await platform.orderApp.participant.retention.runOnce();
  expect(branches).toMatchObject({ stalePrepared: 0 });
  expect(branches.deleted).toBeGreaterThanOrEqual(1);
  expect(await count('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL')).toBe(0);
  expect(await count('SELECT count(*)::int AS n FROM idempotency_keys')).toBe(0);
  expect(await count('SELECT count(*)::int AS n FROM trx_branch')).toBe(0);
  expect(await count('SELECT count(*)::int AS n FROM orders')).toBeGreaterThanOrEqual(1); // business records stay

  // A retry that late is a new order: its key was forgotten.
  const again = await platform.postOrder(
    { customerId: 1, productId: 1, quantity: 1 },
    { 'idempotency-key': 'retained-1' },
  );
  expect(again.status).toBe(201);
  expect(again.body.id).not.toBe(first.body.id);
  await platform.waitForSettled(again.body.transactionId!);
});

test('when a branch is still prepared after the retention period, then retention raises the alarm and leaves it prepared', async () => {
  const tx = await platform.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
  let gid = '';
  await platform.orderApp.participant.runBranch(tx.id, async (m) => m.query('SELECT 1'), {
    enlistedByCaller: true,
    onPrepared: (g) => (gid = g),
  });
  const report = await platform.orderApp.participant.retention.runOnce();
  expect(report.stalePrepared).toBe(1);
  const prepared = await platform.query<{ gid: string }>('order', 'SELECT gid FROM pg_prepared_xacts');
  expect(prepared.map((p) => p.gid)).toContain(gid);
  await platform.orderApp.participant.finish(tx.id, gid, 'rollback');
  await platform.coordinator.rollback(tx.id);
  expect((await platform.orderApp.participant.retention.runOnce()).stalePrepared).toBe(0);
});
