import { brokerUserOf } from '@trx/messaging';
import { TRANSACTION_HEADER } from '@trx/protocol';
import { ALL_IDENTITIES, testCredentials, testInfra, waitFor } from '@trx/test-support';
import { AccountHarness, call } from './account-harness';
import { ServiceProcess } from './service-process';

/** A participant process killed with SIGKILL after it prepared. */
let h: AccountHarness;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  h = await AccountHarness.start();
}, 120_000);

afterAll(async () => {
  await service?.kill();
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
}, 120_000);

function env(): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: h.dbUrl,
    AMQP_URL: testInfra().amqpUrl,
    TRX_EXCHANGE: h.exchange,
    TRX_COORDINATOR_BROKER_USER: brokerUserOf(testInfra().amqpUrl),
    SERVICE_URLS: `transaction-server=${h.serverUrl}`,
    TRX_RECOVERY_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
    INSTANCE_ID: 'account-service-crash-test',
    TRX_SERVICE_TOKEN: testCredentials.token('account-service'),
    TRX_TRUSTED_CALLERS: testCredentials.trustedCallersEnv(...ALL_IDENTITIES),
  };
}

it('when the service is killed after it prepared, then after a restart its branch ends as the coordinator decided', async () => {
  let started = await ServiceProcess.start(env());
  service = started.process;
  const before = [await h.balanceOf(1), await h.balanceOf(2)];
  const committed = await h.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
  const rolledBack = await h.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
  // Two accounts: a second open branch on the same row would wait for the first one's lock.
  for (const [tx, accountId, amount] of [
    [committed, 1, 30],
    [rolledBack, 2, 40],
  ] as const) {
    const path = `/accounts/${accountId}/withdrawals`;
    const res = await call(started.url, 'POST', path, { amount }, { [TRANSACTION_HEADER]: tx.id });
    expect(res.status).toBe(201); // the yes-vote is recorded by the coordinator
  }
  expect(await h.prepared()).toHaveLength(2);

  await service.kill();
  await h.coordinator.commit(committed.id);
  await h.coordinator.rollback(rolledBack.id, 'test');
  expect(await h.prepared()).toHaveLength(2); // nobody is there to finish them

  started = await ServiceProcess.start(env());
  service = started.process;
  await waitFor(async () => (await h.prepared()).length === 0, {
    timeoutMs: 30_000,
    description: 'no prepared left',
  });
  await waitFor(async () => (await h.coordinator.get(committed.id)).status === 'committed');
  await waitFor(async () => (await h.coordinator.get(rolledBack.id)).status === 'rolled-back');
  expect([await h.balanceOf(1), await h.balanceOf(2)]).toEqual([before[0]! - 30, before[1]]);
  const rows = await h.sql('SELECT transaction_id FROM withdrawals WHERE transaction_id = ANY($1)', [
    [committed.id, rolledBack.id],
  ]);
  expect(rows).toEqual([{ transaction_id: committed.id }]);
  expect(await service.terminate()).toBe(0); // and SIGTERM stops it cleanly
}, 120_000);
