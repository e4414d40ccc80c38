import { makeGid } from '@trx/protocol';
import { createBrokerUser, metricValue, scrapeMetrics, waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';

/** The gauges and counters the alerts (k8s/trx/files/prometheus) watch, seen on /metrics with real values. */
const h = new CoordinatorHarness();
beforeAll(() => h.setUp());
afterAll(() => h.tearDown());

const read = async (app: RunningCoordinator, name: string) => metricValue(await scrapeMetrics(app.url), name);

test('when a decision goes unacknowledged, then /metrics shows its age and its re-publishes, and once it is in-doubt the in-doubt count and age', async () => {
  const app = await h.start({ republishAfterMs: 5000, republishMaxMs: 20_000, republishMaxAttempts: 2 });
  const api = h.client(app);
  expect(await read(app, 'trx_decisions_unacknowledged_oldest_age_seconds')).toBe(0);
  expect(await read(app, 'trx_transactions_in_doubt_oldest_age_seconds')).toBe(0);
  const service = h.service('account');
  const tx = await api.begin();
  await api.registerBranch(tx.id, {
    service,
    instance: 'i1',
    gid: makeGid(service, tx.id, 'b1'),
    vote: 'yes',
  });
  await api.commit(tx.id);

  h.clock.advance(5001);
  expect(await app.sweeper.runOnce()).toMatchObject({ republished: 1, inDoubt: 0 });
  expect(await read(app, 'trx_decisions_republished_total')).toBe(1);
  // Ages are by the coordinator's clock, which the test moved past the decision.
  expect(await read(app, 'trx_decisions_unacknowledged_oldest_age_seconds')).toBeGreaterThanOrEqual(5);
  expect(await read(app, 'trx_transactions_in_doubt')).toBe(0);

  h.clock.advance(10_001);
  expect(await app.sweeper.runOnce()).toMatchObject({ republished: 1, inDoubt: 0 });
  h.clock.advance(20_001);
  expect(await app.sweeper.runOnce()).toMatchObject({ republished: 0, inDoubt: 1 });
  expect(await read(app, 'trx_decisions_republished_total')).toBe(2);
  expect(await read(app, 'trx_transactions_in_doubt')).toBe(1);
  expect(await read(app, 'trx_decisions_unacknowledged_oldest_age_seconds')).toBeGreaterThanOrEqual(35);
  h.clock.advance(60_000);
  const inDoubtAge = (await read(app, 'trx_transactions_in_doubt_oldest_age_seconds'))!;
  expect(inDoubtAge).toBeGreaterThanOrEqual(60);
  expect(inDoubtAge).toBeLessThan(120);

  const [branch] = (await api.get(tx.id)).branches;
  await api.recordOutcome(tx.id, branch!.id, { outcome: 'committed' });
  expect(await read(app, 'trx_transactions_in_doubt')).toBe(0);
  expect(await read(app, 'trx_transactions_in_doubt_oldest_age_seconds')).toBe(0);
  expect(await read(app, 'trx_decisions_unacknowledged_oldest_age_seconds')).toBe(0);
  await h.stop(app);
});

test('when the coordinator loses its RabbitMQ connection, then trx_broker_connected goes from 1 to 0', async () => {
  // Its own broker user: deleting it closes the connection and keeps reconnects failing.
  const user = await createBrokerUser({ prefix: 'trx-coordinator-metrics' });
  try {
    const app = await h.start({ amqpUrl: user.amqpUrl });
    expect(await read(app, 'trx_broker_connected')).toBe(1);
    await user.remove();
    await waitFor(async () => (await read(app, 'trx_broker_connected')) === 0, {
      description: 'trx_broker_connected 0',
    });
    await h.stop(app);
  } finally {
    await user.remove();
  }
});
