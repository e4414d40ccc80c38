import { randomUUID } from 'node:crypto';
import { TRANSACTION_HEADER } from '@trx/protocol';
import { createBrokerUser, metricValue, scrapeMetrics, waitFor } from '@trx/test-support';
import { AccountHarness, call } from './account-harness';

/** The participant runtime's gauges on a participant service's /metrics, with real values. */
let h: AccountHarness;
let url: string;

beforeAll(async () => {
  h = await AccountHarness.start();
  url = (await h.startApp()).url;
  await h.addAccounts([201]);
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const read = async (app: string, name: string) => metricValue(await scrapeMetrics(app), name);

test("another service's prepared transaction in the same database is not counted", async () => {
  const gid = `trx:other-service:${randomUUID()}:b1`;
  await h.sql(`BEGIN; PREPARE TRANSACTION '${gid}'`);
  try {
    expect(await h.prepared()).toEqual([gid]);
    expect(await read(url, 'trx_participant_prepared_branches')).toBe(0);
    expect(await read(url, 'trx_participant_prepared_branches_oldest_age_seconds')).toBe(0);
  } finally {
    await h.sql(`ROLLBACK PREPARED '${gid}'`);
  }
});

test('when a withdrawal is prepared and waits for its decision, then /metrics counts the prepared branch and its age, and after the decision none', async () => {
  expect(await read(url, 'trx_participant_prepared_branches')).toBe(0);
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await call(
    url,
    'POST',
    '/accounts/201/withdrawals',
    { amount: 1 },
    { [TRANSACTION_HEADER]: tx.id },
  );
  expect(res.status).toBe(201);
  expect(await h.prepared()).toHaveLength(1);

  expect(await read(url, 'trx_participant_prepared_branches')).toBe(1);
  const age = (await read(url, 'trx_participant_prepared_branches_oldest_age_seconds'))!;
  expect(age).toBeGreaterThanOrEqual(0);
  expect(age).toBeLessThan(60);

  await h.coordinator.rollback(tx.id, 'test done');
  await waitFor(async () => (await read(url, 'trx_participant_prepared_branches')) === 0, {
    description: 'no prepared branch counted',
  });
  expect(await h.prepared()).toEqual([]);
});

test('when the service loses its RabbitMQ connection, then trx_broker_connected goes from 1 to 0', async () => {
  // Its own broker user: deleting it closes the connection and keeps reconnects failing.
  const user = await createBrokerUser({ prefix: 'trx-account-metrics' });
  try {
    const other = (await h.startApp({ amqpUrl: user.amqpUrl })).url;
    expect(await read(other, 'trx_broker_connected')).toBe(1);
    await user.remove();
    await waitFor(async () => (await read(other, 'trx_broker_connected')) === 0, {
      description: 'trx_broker_connected 0',
    });
  } finally {
    await user.remove();
  }
});
