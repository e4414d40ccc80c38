import { makeGid, routingKeys, type CoordinatorApi } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';
import { preparedBranch, outboxKeys, unpublishedCount } from './enlisting';

const h = new CoordinatorHarness();
let app: RunningCoordinator;
let api: CoordinatorApi;
let ACCOUNT: string;
let PRODUCT: string;
let ORDER: string;

beforeAll(async () => {
  await h.setUp();
  app = await h.start();
  api = h.client(app);
  ACCOUNT = h.service('account');
  PRODUCT = h.service('product');
  ORDER = h.service('order');
});
afterAll(() => h.tearDown());

/** Routing keys that reached the '#' queue for the transaction, once `count` arrived and the outbox is empty. */
async function eventsOf(id: string, count: number): Promise<string[]> {
  const events = await waitFor(() => {
    const got = h.capture.forTransaction(id);
    return got.length >= count ? got : undefined;
  });
  expect(await unpublishedCount(h.dbUrl)).toBe(0);
  return events.map((e) => e.routingKey).sort();
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

  expect(await eventsOf(tx.id, 4)).toEqual(
    [
      routingKeys.begun,
      routingKeys.committed,
      routingKeys.decision(ACCOUNT),
      routingKeys.decision(PRODUCT),
    ].sort(),
  );
  const decision = h.capture
    .withKey(routingKeys.decision(ACCOUNT))
    .find((m) => m.body.transactionId === tx.id)!;
  expect(decision.body).toMatchObject({ decision: 'commit', branches: [{ gid: enlisted[0]!.gid }] });
  expect(await outboxKeys(h.dbUrl, tx.id)).not.toContain(routingKeys.decision(ORDER));

  // The same commit again (a retry after a lost answer): the same answer, nothing new written.
  const again = await api.commit(tx.id, { branches: enlisted });
  expect(again.branches.map((b) => b.id)).toEqual(view.branches.map((b) => b.id));
  expect(await outboxKeys(h.dbUrl, tx.id)).toHaveLength(4);
});

test('when the initiator enlists its branches with rollback, then the rollback decision lists them', async () => {
  const tx = await api.begin();
  const enlisted = [preparedBranch(ACCOUNT, tx), preparedBranch(PRODUCT, tx)];
  const view = await api.rollback(tx.id, 'insufficient-funds', enlisted);
  expect(view).toMatchObject({ status: 'rolling-back', decision: 'rollback', reason: 'insufficient-funds' });
  expect(view.branches.map((b) => b.status)).toEqual(['prepared', 'prepared']);
  expect(await eventsOf(tx.id, 4)).toEqual(
    [
      routingKeys.begun,
      routingKeys.rolledBack,
      routingKeys.decision(ACCOUNT),
      routingKeys.decision(PRODUCT),
    ].sort(),
  );
  for (const [service, b] of [
    [ACCOUNT, enlisted[0]!],
    [PRODUCT, enlisted[1]!],
  ] as const) {
    const message = h.capture
      .withKey(routingKeys.decision(service))
      .find((m) => m.body.transactionId === tx.id)!;
    expect(message.body).toMatchObject({ decision: 'rollback', branches: [{ gid: b.gid }] });
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
  expect(await eventsOf(tx.id, 4)).toEqual(
    [
      routingKeys.begun,
      routingKeys.rolledBack,
      routingKeys.decision(ACCOUNT),
      routingKeys.decision(PRODUCT),
    ].sort(),
  );
  expect(await outboxKeys(h.dbUrl, tx.id)).not.toContain(routingKeys.decision(ORDER));
});
