import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { silentLogger } from '@trx/logging';
import { Broker } from '@trx/messaging';
import { runMigrationsLocked } from '@trx/db';
import {
  createServiceDataSource,
  OutboxRelay,
  type OutboxPublisher,
  type OutboxStore,
} from '@trx/service-kit';
import {
  createTestDatabase,
  deleteExchangeTopology,
  dropTestDatabase,
  EventCapture,
  queryDatabase,
  testInfra,
  uniqueName,
  waitFor,
} from '@trx/test-support';
import { orderDatabase } from '../src/data-access/order-schema';
import { OutboxRepository, type OutboxRow } from '../src/data-access/outbox-repository';

const LEASE_MS = 5_000;
const logger = silentLogger();
const exchange = uniqueName('test.relay');
let dbUrl: string;
let dataSource: DataSource;
let outbox: OutboxRepository;
let broker: Broker;
let capture: EventCapture;

beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_order_relay');
  dataSource = createServiceDataSource({
    ...orderDatabase,
    url: dbUrl,
    poolSize: 4,
    instanceId: 'order-relay-test',
  });
  await dataSource.initialize();
  await runMigrationsLocked(dataSource);
  outbox = new OutboxRepository(dataSource);
  capture = await EventCapture.start(testInfra().amqpUrl, exchange);
  broker = await Broker.connect({ url: testInfra().amqpUrl, exchange, logger });
  await broker.declareExchange();
}, 60_000);

afterAll(async () => {
  await capture?.stop();
  await broker?.close();
  await dataSource?.destroy();
  await deleteExchangeTopology(testInfra().amqpUrl, exchange).catch(() => undefined);
  if (dbUrl) await dropTestDatabase(dbUrl);
});

/** Committed order.confirmed rows, as a baseline order leaves them. */
async function committedRows(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  for (const id of ids) {
    await dataSource.query(`INSERT INTO outbox (id, routing_key, body) VALUES ($1, 'order.confirmed', $2)`, [
      id,
      JSON.stringify({ orderId: id }),
    ]);
  }
  return ids;
}

const relayAt = (
  clock: () => Date,
  store: OutboxStore<OutboxRow> = outbox,
  publisher: OutboxPublisher = broker,
) => new OutboxRelay({ store, broker: publisher, logger, clock, pollMs: 0, leaseMs: LEASE_MS });

const unpublished = async () =>
  (
    await queryDatabase<{ n: number }>(
      dbUrl,
      'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
    )
  )[0]!.n;

const deliveries = (ids: string[]) => capture.messages.filter((m) => ids.includes(m.messageId ?? ''));

test('when a relay dies holding a claim, another relay publishes the rows once the lease has run out', async () => {
  const ids = await committedRows(3);
  const now = new Date();
  const dead = await outbox.claim(100, now, new Date(now.getTime() + LEASE_MS));
  expect(dead.map((r) => r.id).sort()).toEqual([...ids].sort());

  let offsetMs = 0;
  const other = relayAt(() => new Date(now.getTime() + offsetMs));
  expect(await other.runOnce()).toBe(0); // the lease holds
  offsetMs = LEASE_MS;
  expect(await other.runOnce()).toBe(3);
  await waitFor(() => deliveries(ids).length === 3, { description: 'the three rows published' });
  expect(await unpublished()).toBe(0);
  expect(await other.runOnce()).toBe(0);
});

test('when a relay crashes between the publish and the mark, the rows are published again under the same message ids', async () => {
  const ids = await committedRows(2);
  const now = new Date();
  const crashing: OutboxStore<OutboxRow> = {
    claim: (limit, at, leaseUntil) => outbox.claim(limit, at, leaseUntil),
    release: (claimed) => outbox.release(claimed),
    markPublished: () => Promise.reject(new Error('crashed before the mark')),
  };
  await expect(relayAt(() => now, crashing).runOnce()).rejects.toThrow('crashed before the mark');
  await waitFor(() => deliveries(ids).length === 2, { description: 'the first publish' });
  expect(await unpublished()).toBe(2);

  const next = relayAt(() => new Date(now.getTime() + LEASE_MS));
  expect(await next.runOnce()).toBe(2);
  await waitFor(() => deliveries(ids).length === 4, { description: 'the re-publish' });
  // Consumers deduplicate by message id: each row went out twice under its own id.
  for (const id of ids) expect(deliveries([id])).toHaveLength(2);
  expect(await unpublished()).toBe(0);
});

test('a failed publish gives the lease back at once, and no transaction is open while the relay publishes', async () => {
  const ids = await committedRows(2);
  const openTransactions: number[] = [];
  let refuse = true;
  const watching: OutboxPublisher = {
    async publish(messages) {
      const [row] = await queryDatabase<{ n: number }>(
        dbUrl,
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND backend_type = 'client backend'
            AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
      );
      openTransactions.push(row!.n);
      if (refuse) throw new Error('broker refused');
      await broker.publish(messages);
    },
  };
  const now = new Date();
  const relay = relayAt(() => now, outbox, watching);
  expect(await relay.runOnce()).toBe(0);
  refuse = false;
  expect(await relay.runOnce()).toBe(2); // same instant: the lease was released, not left to run out
  await waitFor(() => deliveries(ids).length === 2, { description: 'the rows published' });
  expect(openTransactions).toEqual([0, 0]);
});
