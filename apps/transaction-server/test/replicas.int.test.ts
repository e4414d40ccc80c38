import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { makeGid, routingKeys, type TransactionView } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
beforeAll(() => h.setUp());
afterAll(() => h.tearDown());

async function outboxRows(transactionId: string): Promise<{ routing_key: string; published: boolean }[]> {
  const db = new Client({ connectionString: h.dbUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT routing_key, published_at IS NOT NULL AS published FROM trx_outbox
        WHERE body->>'transactionId' = $1 ORDER BY routing_key`,
      [transactionId],
    );
    return rows as { routing_key: string; published: boolean }[];
  } finally {
    await db.end();
  }
}

/** The three messages of a one-branch commit (begun, the decision, committed), once all arrived. */
async function decisionAnnounced(transactionId: string, service: string) {
  const events = await waitFor(() => {
    const got = h.capture.forTransaction(transactionId);
    return got.length >= 3 ? got : undefined;
  });
  expect(events.map((e) => e.routingKey).sort()).toEqual(
    [routingKeys.decision(service), routingKeys.begun, routingKeys.committed].sort(),
  );
  return events;
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
    const events = await waitFor(() => {
      const got = h.capture.forTransaction(tx.id);
      return got.length >= 4 ? got : undefined;
    });
    expect(events.map((e) => e.routingKey).sort()).toEqual(
      [routingKeys.begun, routingKeys.committed, ...services.map(routingKeys.decision)].sort(),
    );
    expect(await outboxRows(tx.id)).toHaveLength(4);
  }
  // Both replicas' pollers find nothing left to send, so nothing goes out twice.
  expect((await a.outbox.runOnce()) + (await b.outbox.runOnce())).toBe(0);
  expect(h.capture.messages.filter((m) => txs.some((t) => t.id === m.body.transactionId))).toHaveLength(40);
  await h.stop(a);
  await h.stop(b);
});

test('when the coordinator stops after writing a decision but before publishing it, then the decision is published after restart', async () => {
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
  expect(h.capture.forTransaction(tx.id)).toHaveLength(0);
  expect((await outboxRows(tx.id)).map((r) => r.published)).toEqual([false, false, false]);

  const restarted = await h.start();
  expect(await restarted.outbox.runOnce()).toBe(3);
  const events = await decisionAnnounced(tx.id, service);
  expect(events.every((e) => e.persistent && e.messageId === e.body.messageId)).toBe(true);
  const view = await h.client(restarted).get(tx.id);
  expect(view.status).toBe('committing');
  expect(view.branches.map((x) => x.status)).toEqual(['prepared']);
  expect((await outboxRows(tx.id)).every((r) => r.published)).toBe(true);
  await h.stop(crashed);
  await h.stop(restarted);
});

test('when a relay dies after claiming a decision but before publishing it, then another relay publishes it once the claim lapsed', async () => {
  const crashed = await h.start({}, { flushAfterCommit: false });
  const api = h.client(crashed);
  const service = h.service('account');
  const tx = await api.begin();
  const gid = makeGid(service, tx.id, 'b1');
  await api.registerBranch(tx.id, { service, instance: 'i1', gid, vote: 'yes' });
  await api.commit(tx.id);
  // The claim a relay makes before it publishes, held by a relay that is gone now.
  const db = new Client({ connectionString: h.dbUrl });
  await db.connect();
  await db.query(`UPDATE trx_outbox SET claimed_until = $2 WHERE body->>'transactionId' = $1`, [
    tx.id,
    new Date(h.clock.now().getTime() + 5000),
  ]);
  await db.end();

  const other = await h.start();
  expect(await other.outbox.runOnce()).toBe(0);
  h.clock.advance(5001);
  expect(await other.outbox.runOnce()).toBe(3);
  await decisionAnnounced(tx.id, service);
  expect((await outboxRows(tx.id)).every((r) => r.published)).toBe(true);
  await h.stop(crashed);
  await h.stop(other);
});
