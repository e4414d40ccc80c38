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
  // Decided while the connection may be down: the decision waits in the outbox.
  await expect(api.commit(tx.id)).resolves.toMatchObject({ status: 'committing' });
  await waitFor(async () => (await fetch(`${app.url}/health/ready`)).status === 200, {
    description: 'ready again',
  });
  await app.outbox.runOnce();

  const decision = await waitFor(() =>
    h.capture.withKey(routingKeys.decision(service)).find((m) => m.body.transactionId === tx.id),
  );
  expect(decision.body).toMatchObject({ decision: 'commit', branches: [{ branchId: branch.id }] });
  const view = await api.get(tx.id);
  expect(view.status).toBe('committing');
  expect(view.branches.map((b) => b.status)).toEqual(['prepared']);
  await waitFor(() => h.capture.forTransaction(tx.id).some((m) => m.routingKey === routingKeys.committed));
});
