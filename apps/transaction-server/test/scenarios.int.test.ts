import { randomBytes } from 'node:crypto';
import { makeGid, routingKeys, uuidv7, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { queryDatabase, waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';

let app: RunningCoordinator;
let api: CoordinatorApi;
const h = CoordinatorHarness.perFile((started, client) => ((app = started), (api = client)));
const ACCOUNT = h.service('account');
const PRODUCT = h.service('product');

const gid = (service: string, tx: TransactionView) => makeGid(service, tx.id, randomBytes(4).toString('hex'));

async function prepared(tx: TransactionView, service: string) {
  return api.registerBranch(tx.id, { service, instance: `${service}-1`, gid: gid(service, tx), vote: 'yes' });
}

/**
 * What reached the '#' queue for this transaction, as routing keys (a decision batch once per
 * entry of it), once `count` arrived.
 */
async function eventsOf(id: string, count: number): Promise<string[]> {
  return waitFor(
    () => {
      const got = h.keysFor(id);
      return got.length >= count ? got : undefined;
    },
    { description: `${count} events of ${id}` },
  );
}

/** The decision batches' entries for a transaction, once `count` arrived. */
const decisionsOf = (id: string, count: number) =>
  waitFor(() => (h.decisionsFor(id).length >= count ? h.decisionsFor(id) : undefined), {
    description: `${count} decision entries of ${id}`,
  });

test('when every branch votes yes, then the decision is COMMIT, each service gets it in one batch and one lifecycle event announces it', async () => {
  const tx = await api.begin({ initiator: 'test' });
  const a = await prepared(tx, ACCOUNT);
  const p = await prepared(tx, PRODUCT);
  const committed = await api.commit(tx.id);
  expect(committed).toMatchObject({ status: 'committing', decision: 'commit' });
  expect(committed.branches.map((b) => b.status)).toEqual(['prepared', 'prepared']);

  // Protocol v2, default lifecycle events: no transaction.begun, one event at the decision.
  expect(await eventsOf(tx.id, 3)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.decision(PRODUCT),
    routingKeys.committed,
  ]);
  const [event] = h.capture.forTransaction(tx.id);
  expect(event!.body).toMatchObject({ type: 'transaction.committed', status: 'committing' });
  const decision = h.decisionsFor(tx.id).find((d) => d.service === ACCOUNT)!;
  expect(decision.message).toMatchObject({
    routingKey: routingKeys.decision(ACCOUNT),
    persistent: true,
    messageId: decision.message.body.messageId,
    body: { type: 'decisions', service: ACCOUNT },
  });
  expect(decision).toMatchObject({
    transactionId: tx.id,
    decision: 'commit',
    branches: [{ branchId: a.id, gid: a.gid }],
  });
  // Announced by the publisher: the row is its own outbox, nothing went through trx_outbox.
  await waitFor(() => h.announced(tx.id), { description: 'announced' });
  expect(await h.outboxRowsFor(tx.id)).toEqual([]);

  await api.recordOutcome(tx.id, a.id, { outcome: 'committed' });
  await api.recordOutcome(tx.id, p.id, { outcome: 'committed' });
  const done = await api.get(tx.id);
  expect(done.status).toBe('committed');
  expect(done.branches.map((b) => b.status)).toEqual(['committed', 'committed']);
  // No end event by default (TRX_LIFECYCLE_EVENTS=decision): nothing was written to send.
  expect(await h.outboxRowsFor(tx.id)).toEqual([]);
  expect(await app.outbox.runOnce()).toBe(0);
  expect(h.capture.forTransaction(tx.id)).toHaveLength(1);
  // The old single `decision` message is no longer published.
  expect(h.capture.messages.filter((m) => m.body.type === 'decision')).toEqual([]);
});

test('when lifecycle events are `all`, then a transaction is announced at its begin, its decision and its end', async () => {
  const all = await h.start({ lifecycleEvents: 'all' });
  try {
    const allApi = h.client(all);
    const tx = await allApi.begin();
    const a = await prepared(tx, ACCOUNT);
    await allApi.commit(tx.id);
    await waitFor(() => h.announced(tx.id), { description: 'announced' });
    await allApi.recordOutcome(tx.id, a.id, { outcome: 'committed' });
    expect((await allApi.get(tx.id)).status).toBe('committed');
    expect(await eventsOf(tx.id, 4)).toEqual([
      routingKeys.decision(ACCOUNT),
      routingKeys.begun,
      routingKeys.committed,
      routingKeys.committed,
    ]);
    expect(
      h.capture
        .forTransaction(tx.id)
        .map((m) => `${m.routingKey} ${String(m.body.status)}`)
        .sort(),
    ).toEqual([
      `${routingKeys.begun} active`,
      `${routingKeys.committed} committed`,
      `${routingKeys.committed} committing`,
    ]);
  } finally {
    await h.stop(all);
  }
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
  expect(await eventsOf(tx.id, 3)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.decision(PRODUCT),
    routingKeys.rolledBack,
  ]);
  expect(h.capture.forTransaction(tx.id)[0]!.body).toMatchObject({ status: 'rolling-back' });
  expect(h.decisionsFor(tx.id).map((d) => d.decision)).toEqual(['rollback', 'rollback']);
  await waitFor(() => h.announced(tx.id), { description: 'announced' });
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
  expect(await eventsOf(tx.id, 3)).toEqual([
    routingKeys.decision(ACCOUNT),
    routingKeys.decision(PRODUCT),
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
  expect(await eventsOf(tx.id, 2)).toEqual([routingKeys.decision(ACCOUNT), routingKeys.rolledBack]);
  expect(h.decisionsFor(tx.id)).toMatchObject([{ decision: 'rollback' }]);
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
  expect(await eventsOf(tx.id, 2)).toEqual([routingKeys.decision(ACCOUNT), routingKeys.committed]);
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
  expect(await eventsOf(tx.id, 2)).toEqual([routingKeys.decision(ACCOUNT), routingKeys.rolledBack]);
  expect(h.capture.forTransaction(tx.id)[0]!.body).toMatchObject({
    status: 'rolling-back',
    reason: 'timeout',
  });
});

test('when a decision is not acknowledged, then it is re-published with backoff, in the batch format, until it is', async () => {
  const tx = await api.begin();
  const a = await prepared(tx, ACCOUNT);
  const p = await prepared(tx, PRODUCT);
  await api.commit(tx.id);
  await eventsOf(tx.id, 3);
  await waitFor(() => h.announced(tx.id), { description: 'announced' });
  await api.recordOutcome(tx.id, p.id, { outcome: 'committed' });
  const decisions = () => h.decisionsFor(tx.id);

  h.clock.advance(5001);
  await app.sweeper.runOnce();
  await waitFor(() => decisions().length === 3);
  expect(decisions()[2]).toMatchObject({
    service: ACCOUNT,
    decision: 'commit',
    branches: [{ branchId: a.id, gid: a.gid }],
    message: { routingKey: routingKeys.decision(ACCOUNT), body: { type: 'decisions', service: ACCOUNT } },
  });
  // A re-publish is one entry of its own batch.
  expect(decisions()[2]!.message.body.decisions).toHaveLength(1);

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
  expect(decisions()).toHaveLength(4);
  // Announced once, at the decision: the re-publishes send the decision only.
  expect(h.capture.forTransaction(tx.id).map((m) => m.routingKey)).toEqual([routingKeys.committed]);
});

test('when the initiator commits a UUIDv7 id the coordinator has not seen, then the commit creates it with the caller as initiator', async () => {
  const id = uuidv7(h.clock.now().getTime());
  const a = makeGid(ACCOUNT, id, 'a');
  const view = await api.commit(id, { branches: [{ service: ACCOUNT, gid: a }] });
  expect(view).toMatchObject({
    id,
    status: 'committing',
    decision: 'commit',
    branches: [{ gid: a, status: 'prepared' }],
  });
  expect(await eventsOf(id, 2)).toEqual([routingKeys.decision(ACCOUNT), routingKeys.committed]);
  expect((await decisionsOf(id, 1))[0]).toMatchObject({ decision: 'commit', branches: [{ gid: a }] });
  const [row] = await queryDatabase<{ initiator: string }>(
    h.dbUrl,
    'SELECT initiator FROM trx_transaction WHERE id = $1',
    [id],
  );
  expect(row!.initiator).toBe(CoordinatorHarness.INITIATOR);
});
