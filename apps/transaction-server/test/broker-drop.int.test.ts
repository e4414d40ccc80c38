import { makeGid, routingKeys } from '@trx/protocol';
import { dropAmqpConnections, uniqueName, waitFor } from '@trx/test-support';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
beforeAll(() => h.setUp());
afterAll(() => h.tearDown());

test('when the broker connection drops, then the coordinator reconnects and the decision still goes out', async () => {
  const instanceId = uniqueName('coordinator-drop');
  const app = await h.start({ instanceId });
  const api = h.client(app);
  const service = h.service('account');
  const tx = await api.begin();
  const branch = await api.registerBranch(tx.id, {
    service,
    instance: 'i1',
    gid: makeGid(service, tx.id, 'b1'),
    vote: 'yes',
  });

  await waitFor(() => dropAmqpConnections(instanceId).then(() => true), {
    description: 'connection dropped',
  });
  // Decided while the connection may be down: the row is written unannounced either way.
  await expect(api.commit(tx.id)).resolves.toMatchObject({ status: 'committing' });
  await waitFor(async () => (await fetch(`${app.url}/health/ready`)).status === 200, {
    description: 'ready again',
  });
  // The publisher's round failed if the connection was still down (the row stays unannounced),
  // or went out on the new one. A failed round only waits for the re-publish, which sends the
  // decision and the lifecycle event through the outbox.
  const entry = () => h.decisionsFor(tx.id).find((d) => d.service === service);
  if (!(await h.announced(tx.id)) && !entry()) {
    h.clock.advance(5001);
    expect((await app.sweeper.runOnce()).republished).toBe(1);
    await app.outbox.runOnce();
  }

  const decision = await waitFor(entry, { description: 'the decision' });
  expect(decision).toMatchObject({ decision: 'commit', branches: [{ branchId: branch.id }] });
  const view = await api.get(tx.id);
  expect(view.status).toBe('committing');
  expect(view.branches.map((b) => b.status)).toEqual(['prepared']);
  await waitFor(() => h.capture.forTransaction(tx.id).some((m) => m.routingKey === routingKeys.committed));
  await waitFor(() => h.announced(tx.id), { description: 'announced' });
});
