import { makeGid, routingKeys, type CoordinatorApi } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';
import { preparedBranch, unpublishedCount } from './enlisting';

let app: RunningCoordinator;
let api: CoordinatorApi;
const h = CoordinatorHarness.perFile((started, client) => ((app = started), (api = client)));
const ACCOUNT = h.service('account');
const PRODUCT = h.service('product');
const ORDER = h.service('order');

/**
 * Routing keys that reached the '#' queue for the transaction (a decision batch once per entry
 * of it), once `count` arrived and the decision is announced with nothing left in the outbox.
 */
async function eventsOf(id: string, count: number): Promise<string[]> {
  const keys = await waitFor(() => {
    const got = h.keysFor(id);
    return got.length >= count ? got : undefined;
  });
  await waitFor(() => h.announced(id), { description: 'announced' });
  expect(await unpublishedCount(h.dbUrl)).toBe(0);
  return keys;
}

test('when the initiator enlists its prepared branches with commit, then it commits and only the services it does not finish itself get a decision', async () => {
  const tx = await api.begin({ initiator: 'order-service' });
  const enlisted = [
    preparedBranch(ACCOUNT, tx),
    preparedBranch(PRODUCT, tx),
    preparedBranch(ORDER, tx, true),
  ];
  const view = await api.commit(tx.id, { branches: enlisted });
  expect(view).toMatchObject({ status: 'committing', decision: 'commit' });
  expect(view.branches.map((b) => [b.gid, b.status, b.finishedByCaller ?? false])).toEqual(
    enlisted.map((b) => [b.gid, 'prepared', b.finishedByCaller ?? false]),
  );

  expect(await eventsOf(tx.id, 3)).toEqual(
    [routingKeys.committed, routingKeys.decision(ACCOUNT), routingKeys.decision(PRODUCT)].sort(),
  );
  const decision = h.decisionsFor(tx.id).find((d) => d.service === ACCOUNT)!;
  expect(decision).toMatchObject({ decision: 'commit', branches: [{ gid: enlisted[0]!.gid }] });
  expect(h.decisionsFor(tx.id).map((d) => d.service)).not.toContain(ORDER);
  // The row is its own outbox: the publisher announced it, no trx_outbox row was written.
  expect(await h.outboxRowsFor(tx.id)).toEqual([]);

  // The same commit again (a retry after a lost answer): the same answer, nothing new written or sent.
  const again = await api.commit(tx.id, { branches: enlisted });
  expect(again.branches.map((b) => b.id)).toEqual(view.branches.map((b) => b.id));
  expect(await h.outboxRowsFor(tx.id)).toEqual([]);
  expect(await app.outbox.runOnce()).toBe(0);
  expect(h.keysFor(tx.id)).toHaveLength(3);
});

test('when the initiator enlists its branches with rollback, then the rollback decision lists them', async () => {
  const tx = await api.begin();
  const enlisted = [preparedBranch(ACCOUNT, tx), preparedBranch(PRODUCT, tx)];
  const view = await api.rollback(tx.id, 'insufficient-funds', enlisted);
  expect(view).toMatchObject({ status: 'rolling-back', decision: 'rollback', reason: 'insufficient-funds' });
  expect(view.branches.map((b) => b.status)).toEqual(['prepared', 'prepared']);
  expect(await eventsOf(tx.id, 3)).toEqual(
    [routingKeys.rolledBack, routingKeys.decision(ACCOUNT), routingKeys.decision(PRODUCT)].sort(),
  );
  for (const [service, b] of [
    [ACCOUNT, enlisted[0]!],
    [PRODUCT, enlisted[1]!],
  ] as const) {
    const entry = h.decisionsFor(tx.id).find((d) => d.service === service)!;
    expect(entry).toMatchObject({ decision: 'rollback', branches: [{ gid: b.gid }] });
  }
});

test('when a registered branch voted no and the initiator enlists the others, then every branch rolls back', async () => {
  const tx = await api.begin();
  const failed = await api.registerBranch(tx.id, {
    service: PRODUCT,
    instance: 'p1',
    gid: makeGid(PRODUCT, tx.id, 'no'),
    vote: 'no',
    reason: 'insufficient-stock',
  });
  // Enlisting the failed gid again does not turn its no into a yes.
  const enlisted = [
    preparedBranch(ACCOUNT, tx),
    preparedBranch(ORDER, tx, true),
    { service: PRODUCT, gid: failed.gid },
  ];
  await expect(api.commit(tx.id, { branches: enlisted })).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'transaction-rolled-back',
    status: 'rolling-back',
  });
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'rolling-back', reason: 'not every branch voted yes' });
  expect(view.branches.map((b) => [b.service, b.status])).toEqual([
    [PRODUCT, 'failed'],
    [ACCOUNT, 'prepared'],
    [ORDER, 'prepared'],
  ]);
  expect(await eventsOf(tx.id, 3)).toEqual(
    [routingKeys.rolledBack, routingKeys.decision(ACCOUNT), routingKeys.decision(PRODUCT)].sort(),
  );
  expect(h.decisionsFor(tx.id).map((d) => d.service)).not.toContain(ORDER);
});
