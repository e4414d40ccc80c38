import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { makeGid, routingKeys, type TransactionView } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
beforeAll(() => h.setUp());
afterAll(() => h.tearDown());

/**
 * What a one-branch commit announces (protocol v2, default lifecycle events): the decision, as
 * one entry of a batch to the service, and transaction.committed (committing); once both arrived.
 */
async function decisionAnnounced(transactionId: string, service: string) {
  const keys = await waitFor(() => {
    const got = h.keysFor(transactionId);
    return got.length >= 2 ? got : undefined;
  });
  expect(keys).toEqual([routingKeys.committed, routingKeys.decision(service)].sort());
  const [decision] = h.decisionsFor(transactionId);
  const [event] = h.capture.forTransaction(transactionId);
  expect(decision).toMatchObject({ service, decision: 'commit' });
  expect(event!.body).toMatchObject({ type: routingKeys.committed, status: 'committing' });
  return [decision!.message, event!];
}

test('when two coordinator instances race to commit the same transaction, then there is exactly one decision, published once per service', async () => {
  const a = await h.start();
  const b = await h.start();
  const [apiA, apiB] = [h.client(a), h.client(b)];
  const services = [h.service('account'), h.service('product')];
  const txs: TransactionView[] = [];
  for (let i = 0; i < 10; i++) {
    const tx = await apiA.begin();
    for (const service of services) {
      await apiB.registerBranch(tx.id, {
        service,
        instance: 'i1',
        gid: makeGid(service, tx.id, randomBytes(4).toString('hex')),
        vote: 'yes',
      });
    }
    txs.push(tx);
  }
  const answers = await Promise.all(txs.flatMap((tx) => [apiA.commit(tx.id), apiB.commit(tx.id)]));
  expect(answers.every((v) => v.status === 'committing' && v.decision === 'commit')).toBe(true);

  for (const tx of txs) {
    const view = await apiA.get(tx.id);
    expect(view.status).toBe('committing');
    expect(view.branches.map((x) => x.status)).toEqual(['prepared', 'prepared']);
    const keys = await waitFor(() => {
      const got = h.keysFor(tx.id);
      return got.length >= 3 ? got : undefined;
    });
    expect(keys).toEqual([routingKeys.committed, ...services.map(routingKeys.decision)].sort());
    await waitFor(() => h.announced(tx.id), { description: 'announced' });
    // Announced by the publisher of the replica that decided: nothing through trx_outbox.
    expect(await h.outboxRowsFor(tx.id)).toEqual([]);
  }
  // Both replicas' pollers find nothing left to send, so nothing goes out twice.
  expect((await a.outbox.runOnce()) + (await b.outbox.runOnce())).toBe(0);
  const ids = new Set(txs.map((t) => t.id));
  expect(h.decisions().filter((d) => ids.has(d.transactionId))).toHaveLength(20);
  expect(h.capture.messages.filter((m) => ids.has(m.body.transactionId as string))).toHaveLength(10);
  await h.stop(a);
  await h.stop(b);
});

test('when the coordinator stops after writing a decision but before publishing it, then the re-publish announces it after restart', async () => {
  // The first instance writes decisions but never publishes them, as if it died right after COMMIT.
  const crashed = await h.start({}, { flushAfterCommit: false });
  const api = h.client(crashed);
  const service = h.service('account');
  const tx = await api.begin();
  await api.registerBranch(tx.id, {
    service,
    instance: 'i1',
    gid: makeGid(service, tx.id, 'b1'),
    vote: 'yes',
  });
  await expect(api.commit(tx.id)).resolves.toMatchObject({ status: 'committing' });
  expect(h.keysFor(tx.id)).toHaveLength(0);
  // The row is its own outbox: unannounced, and nothing in trx_outbox.
  expect(await h.announced(tx.id)).toBe(false);
  expect(await h.outboxRowsFor(tx.id)).toEqual([]);

  const restarted = await h.start();
  expect(await restarted.outbox.runOnce()).toBe(0);
  // At its re-publish time the sweeper sends the decision and, since the row is unannounced,
  // its lifecycle event, both through trx_outbox, and marks it announced.
  // (The file's earlier transactions, still unacknowledged, are re-published in the same round.)
  h.clock.advance(5001);
  expect((await restarted.sweeper.runOnce()).republished).toBeGreaterThanOrEqual(1);
  const messages = await decisionAnnounced(tx.id, service);
  expect(messages.every((m) => m.persistent && m.messageId === m.body.messageId)).toBe(true);
  const view = await h.client(restarted).get(tx.id);
  expect(view.status).toBe('committing');
  expect(view.branches.map((x) => x.status)).toEqual(['prepared']);
  expect(await h.announced(tx.id)).toBe(true);
  await waitFor(async () => (await h.outboxRowsFor(tx.id)).every((r) => r.published));
  expect((await h.outboxRowsFor(tx.id)).map((r) => r.routingKey).sort()).toEqual(
    [routingKeys.committed, routingKeys.decision(service)].sort(),
  );
  await h.stop(crashed);
  await h.stop(restarted);
});

test('when every branch acknowledged before the decision was announced, then the transaction ends once the re-publish announced it', async () => {
  const crashed = await h.start({}, { flushAfterCommit: false });
  const api = h.client(crashed);
  const service = h.service('account');
  const tx = await api.begin();
  const branch = await api.registerBranch(tx.id, {
    service,
    instance: 'i1',
    gid: makeGid(service, tx.id, 'early'),
    vote: 'yes',
  });
  await api.commit(tx.id);
  await api.recordOutcome(tx.id, branch.id, { outcome: 'committed' });
  // Acknowledged, but not announced: it stays decided, so the re-publish still finds it.
  expect((await api.get(tx.id)).status).toBe('committing');

  const restarted = await h.start();
  h.clock.advance(5001);
  await restarted.sweeper.runOnce();
  expect((await h.client(restarted).get(tx.id)).status).toBe('committed');
  expect(await h.announced(tx.id)).toBe(true);
  // Its lifecycle event goes out (the decision is not sent again: nobody is left to tell).
  await waitFor(() => h.capture.forTransaction(tx.id).length >= 1);
  expect(h.keysFor(tx.id)).toEqual([routingKeys.committed]);
  await h.stop(crashed);
  await h.stop(restarted);
});

test('when a relay dies after claiming a re-published decision but before publishing it, then another relay publishes it once the claim lapsed', async () => {
  const crashed = await h.start({}, { flushAfterCommit: false });
  const api = h.client(crashed);
  const service = h.service('account');
  const tx = await api.begin();
  const gid = makeGid(service, tx.id, 'b1');
  await api.registerBranch(tx.id, { service, instance: 'i1', gid, vote: 'yes' });
  await api.commit(tx.id);
  // Its re-publish writes the decision and the lifecycle event to trx_outbox; this relay never flushes.
  // (The file's earlier transactions, still unacknowledged, are re-published in the same round.)
  h.clock.advance(5001);
  expect((await crashed.sweeper.runOnce()).republished).toBeGreaterThanOrEqual(1);
  const rows = await h.outboxRowsFor(tx.id);
  expect(rows.map((r) => r.published)).toEqual([false, false]);
  // The claim a relay makes before it publishes (of every row the round wrote), held by a relay that is gone now.
  const db = new Client({ connectionString: h.dbUrl });
  await db.connect();
  const { rowCount: claimed } = await db.query(
    'UPDATE trx_outbox SET claimed_until = $1 WHERE published_at IS NULL',
    [new Date(h.clock.now().getTime() + 5000)],
  );
  await db.end();
  expect(claimed).toBeGreaterThanOrEqual(2);

  const other = await h.start();
  expect(await other.outbox.runOnce()).toBe(0);
  h.clock.advance(5001);
  expect(await other.outbox.runOnce()).toBe(claimed);
  await decisionAnnounced(tx.id, service);
  expect((await h.outboxRowsFor(tx.id)).every((r) => r.published)).toBe(true);
  await h.stop(crashed);
  await h.stop(other);
});
