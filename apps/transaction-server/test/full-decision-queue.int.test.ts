import { decisionQueue, makeGid, routingKeys } from '@trx/protocol';
import { managementApi, peekQueue, queryDatabase, uniqueName, waitFor } from '@trx/test-support';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
const policy = uniqueName('trx-test-full');
beforeAll(() => h.setUp());
afterAll(async () => {
  await managementApi('DELETE', `/policies/%2F/${policy}`).catch(() => undefined);
  await h.tearDown();
});

async function unpublished(messageIds: string[]): Promise<string[]> {
  const rows = await queryDatabase<{ id: string }>(
    h.dbUrl,
    'SELECT id FROM trx_outbox WHERE id = ANY($1::uuid[]) AND published_at IS NULL',
    [messageIds],
  );
  return rows.map((r) => r.id);
}

test('when a decision queue is full, then the nacked decision stays unannounced, is re-published through the outbox and goes out once there is room', async () => {
  const app = await h.start();
  const api = h.client(app);
  const service = h.service('account');
  const queue = decisionQueue(service, h.exchange);
  // A policy caps the queue at one message (the smaller of policy and queue argument wins);
  // the queue's own x-overflow, reject-publish, stays.
  await managementApi('PUT', `/policies/%2F/${policy}`, {
    pattern: `^${queue.replace(/[.]/g, '\\.')}$`,
    definition: { 'max-length': 1 },
    'apply-to': 'queues',
    priority: 100,
  });
  const decide = async (key: string) => {
    const tx = await api.begin();
    const branch = await api.registerBranch(tx.id, {
      service,
      instance: 'i1',
      gid: makeGid(service, tx.id, key),
      vote: 'yes',
    });
    await api.commit(tx.id);
    // The capture queue gets every message, also the one the full queue refused.
    const decision = await waitFor(() => h.decisionsFor(tx.id).find((d) => d.service === service));
    return { tx, branch, messageId: String(decision.message.messageId) };
  };

  const first = await decide('b1');
  await waitFor(async () => (await peekQueue(queue)).length === 1, { description: 'the queue full' });
  await waitFor(() => h.announced(first.tx.id), { description: 'the first announced' });
  // Acknowledged, so that only the second is due for a re-publish below.
  await api.recordOutcome(first.tx.id, first.branch.id, { outcome: 'committed' });
  expect((await api.get(first.tx.id)).status).toBe('committed');

  const second = await decide('b2');
  // The publisher's round was nacked: the row stays unannounced, and nothing is in the outbox yet.
  expect(await h.announced(second.tx.id)).toBe(false);
  expect(await h.outboxRowsFor(second.tx.id)).toEqual([]);

  // Its re-publish time: the decision (and the lifecycle event, still unannounced) go to the outbox.
  h.clock.advance(5001);
  expect(await app.sweeper.runOnce()).toMatchObject({ republished: 1 });
  expect(await h.announced(second.tx.id)).toBe(true);
  const rows = await h.outboxRowsFor(second.tx.id);
  expect(rows.map((r) => r.routingKey).sort()).toEqual(
    [routingKeys.committed, routingKeys.decision(service)].sort(),
  );
  const republished = rows.find((r) => r.routingKey === routingKeys.decision(service))!;
  expect(republished.body).toMatchObject({
    type: 'decisions',
    service,
    decisions: [
      { transactionId: second.tx.id, decision: 'commit', branches: [{ branchId: second.branch.id }] },
    ],
  });
  // The flush's batch is over once runOnce (serialised behind it) returns: nacked again, still in the outbox.
  expect(await app.outbox.runOnce()).toBe(0);
  expect(await unpublished([republished.id])).toEqual([republished.id]);

  await managementApi('DELETE', `/queues/%2F/${encodeURIComponent(queue)}/contents`);
  expect(await app.outbox.runOnce()).toBeGreaterThanOrEqual(1);
  expect(await unpublished(rows.map((r) => r.id))).toEqual([]);
  expect((await peekQueue(queue)).map((m) => m.properties.message_id)).toEqual([republished.id]);
  expect(republished.id).not.toBe(second.messageId);
});
