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

test('when a decision queue is full, then the nacked decision stays in the outbox and goes out once there is room', async () => {
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
    await api.registerBranch(tx.id, {
      service,
      instance: 'i1',
      gid: makeGid(service, tx.id, key),
      vote: 'yes',
    });
    await api.commit(tx.id);
    // The capture queue gets every message, also the one the full queue refused.
    const decision = await waitFor(() =>
      h.capture.withKey(routingKeys.decision(service)).find((m) => m.body.transactionId === tx.id),
    );
    return String(decision.messageId);
  };

  const first = await decide('b1');
  await waitFor(async () => (await peekQueue(queue)).length === 1, { description: 'the queue full' });
  const second = await decide('b2');
  // The flush's batch is over once runOnce (serialised behind it) returns: nacked again.
  expect(await app.outbox.runOnce()).toBe(0);
  expect(await unpublished([first, second])).toEqual([second]);

  await managementApi('DELETE', `/queues/%2F/${encodeURIComponent(queue)}/contents`);
  expect(await app.outbox.runOnce()).toBeGreaterThanOrEqual(1);
  expect(await unpublished([second])).toEqual([]);
  expect((await peekQueue(queue)).map((m) => m.properties.message_id)).toEqual([second]);
});
