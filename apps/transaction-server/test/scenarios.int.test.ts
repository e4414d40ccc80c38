import { randomBytes } from 'node:crypto';
import { makeGid, routingKeys, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
let app: RunningCoordinator;
let api: CoordinatorApi;
let ACCOUNT: string;
let PRODUCT: string;

beforeAll(async () => {
  await h.setUp();
  app = await h.start();
  api = h.client(app);
  ACCOUNT = h.service('account');
  PRODUCT = h.service('product');
});
afterAll(() => h.tearDown());

const gid = (service: string, tx: TransactionView) => makeGid(service, tx.id, randomBytes(4).toString('hex'));

async function prepared(tx: TransactionView, service: string) {
  return api.registerBranch(tx.id, { service, instance: `${service}-1`, gid: gid(service, tx), vote: 'yes' });
}

/** What reached the '#' queue for this transaction, as routing keys, once `count` arrived. */
async function eventsOf(id: string, count: number): Promise<string[]> {
  const events = await waitFor(
    () => {
      const got = h.capture.forTransaction(id);
      return got.length >= count ? got : undefined;
    },
    { description: `${count} events of ${id}` },
  );
  return events.map((e) => e.routingKey).sort();
}

test('when every branch votes yes, then the decision is COMMIT and each service gets one decision', async () => {
  const tx = await api.begin({ initiator: 'test' });
  const a = await prepared(tx, ACCOUNT);
  const p = await prepared(tx, PRODUCT);
  const committed = await api.commit(tx.id);
  expect(committed).toMatchObject({ status: 'committing', decision: 'commit' });
  expect(committed.branches.map((b) => b.status)).toEqual(['prepared', 'prepared']);

  expect(await eventsOf(tx.id, 4)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.decision(PRODUCT),
    routingKeys.begun,
    routingKeys.committed,
  ]);
  const decision = h.capture
    .withKey(routingKeys.decision(ACCOUNT))
    .find((m) => m.body.transactionId === tx.id)!;
  expect(decision).toMatchObject({ persistent: true, messageId: decision.body.messageId });
  expect(decision.body).toMatchObject({ decision: 'commit', branches: [{ branchId: a.id, gid: a.gid }] });

  await api.recordOutcome(tx.id, a.id, { outcome: 'committed' });
  await api.recordOutcome(tx.id, p.id, { outcome: 'committed' });
  const done = await api.get(tx.id);
  expect(done.status).toBe('committed');
  expect(done.branches.map((b) => b.status)).toEqual(['committed', 'committed']);
  await waitFor(() =>
    h.capture
      .forTransaction(tx.id)
      .some((m) => m.routingKey === routingKeys.committed && m.body.status === 'committed'),
  );
});

test('when one branch votes no, then the decision is ROLLBACK for every branch', async () => {
  const tx = await api.begin();
  const a = await prepared(tx, ACCOUNT);
  const p = await api.registerBranch(tx.id, {
    service: PRODUCT,
    instance: 'p1',
    gid: gid(PRODUCT, tx),
    vote: 'no',
    reason: 'insufficient-stock',
  });
  await expect(api.commit(tx.id)).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'transaction-rolled-back',
    status: 'rolling-back',
  });
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'rolling-back', decision: 'rollback' });
  expect(view.branches.map((b) => b.status)).toEqual(['prepared', 'failed']);
  expect(await eventsOf(tx.id, 4)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.decision(PRODUCT),
    routingKeys.begun,
    routingKeys.rolledBack,
  ]);
  await api.recordOutcome(tx.id, a.id, { outcome: 'rolled-back' });
  await api.recordOutcome(tx.id, p.id, { outcome: 'rolled-back' });
  const done = await api.get(tx.id);
  expect(done.status).toBe('rolled-back');
  expect(done.branches.map((b) => b.status)).toEqual(['rolled-back', 'rolled-back']);
});

test('when one branch registered but never voted, then commit rolls back', async () => {
  const tx = await api.begin();
  await prepared(tx, ACCOUNT);
  await api.registerBranch(tx.id, { service: PRODUCT, instance: 'p1', gid: gid(PRODUCT, tx) });
  await expect(api.commit(tx.id)).rejects.toMatchObject({ code: 'transaction-rolled-back' });
  const view = await api.get(tx.id);
  expect(view.status).toBe('rolling-back');
  expect(view.branches.map((b) => b.status)).toEqual(['prepared', 'registered']);
  expect(await eventsOf(tx.id, 4)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.decision(PRODUCT),
    routingKeys.begun,
    routingKeys.rolledBack,
  ]);
});

test('when a transaction was rolled back, then commit answers 409 with its status', async () => {
  const tx = await api.begin();
  await prepared(tx, ACCOUNT);
  await api.rollback(tx.id, 'user cancelled');
  await expect(api.commit(tx.id)).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'transaction-rolled-back',
    status: 'rolling-back',
  });
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'rolling-back', reason: 'user cancelled' });
  expect(view.branches.map((b) => b.status)).toEqual(['prepared']);
  expect(await eventsOf(tx.id, 3)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.begun,
    routingKeys.rolledBack,
  ]);
});

test('when a branch joins a decided transaction, then it is refused with 409 transaction-decided', async () => {
  const tx = await api.begin();
  await prepared(tx, ACCOUNT);
  await api.commit(tx.id);
  await expect(prepared(tx, PRODUCT)).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'transaction-decided',
    status: 'committing',
  });
  const view = await api.get(tx.id);
  expect(view.status).toBe('committing');
  expect(view.branches.map((b) => [b.service, b.status])).toEqual([[ACCOUNT, 'prepared']]);
  expect(await eventsOf(tx.id, 3)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.begun,
    routingKeys.committed,
  ]);
});

test('when a transaction passes its timeout, then the sweeper rolls it back and late branches are refused', async () => {
  const tx = await api.begin({ timeoutMs: 1000 });
  await prepared(tx, ACCOUNT);
  h.clock.advance(1001);
  await expect(prepared(tx, PRODUCT)).rejects.toMatchObject({ code: 'transaction-decided' });
  const { timedOut } = await app.sweeper.runOnce();
  expect(timedOut).toBeGreaterThanOrEqual(1);
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'rolling-back', reason: 'timeout' });
  expect(view.branches.map((b) => b.status)).toEqual(['prepared']);
  expect(await eventsOf(tx.id, 3)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.begun,
    routingKeys.rolledBack,
  ]);
});

test('when a decision is not acknowledged, then it is re-published with backoff until it is', async () => {
  const tx = await api.begin();
  const a = await prepared(tx, ACCOUNT);
  const p = await prepared(tx, PRODUCT);
  await api.commit(tx.id);
  await api.recordOutcome(tx.id, p.id, { outcome: 'committed' });
  await eventsOf(tx.id, 4);
  const decisions = () => h.capture.forTransaction(tx.id).filter((m) => m.routingKey.startsWith('decision.'));

  h.clock.advance(5001);
  await app.sweeper.runOnce();
  await waitFor(() => decisions().length === 3);
  expect(decisions()[2]).toMatchObject({
    routingKey: routingKeys.decision(ACCOUNT),
    body: { branches: [{ branchId: a.id }] },
  });

  h.clock.advance(5001); // the next one is due after 10 s (doubling)
  await app.sweeper.runOnce();
  h.clock.advance(5000);
  await app.sweeper.runOnce();
  await waitFor(() => decisions().length === 4);

  await api.recordOutcome(tx.id, a.id, { outcome: 'committed' });
  h.clock.advance(60_000);
  await app.sweeper.runOnce();
  const view = await api.get(tx.id);
  expect(view.status).toBe('committed');
  expect(view.branches.map((b) => b.status)).toEqual(['committed', 'committed']);
  await waitFor(
    () => h.capture.forTransaction(tx.id).filter((m) => m.routingKey === routingKeys.committed).length === 2,
  );
  expect(decisions()).toHaveLength(4);
});
