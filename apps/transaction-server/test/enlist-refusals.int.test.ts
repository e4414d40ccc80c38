import { routingKeys, uuidv7, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import type { RunningCoordinator } from '../src/start';
import { waitForDecisionEntry } from './announcements';
import { CoordinatorHarness } from './coordinator-harness';
import { preparedBranch, outboxKeys } from './enlisting';

/** What the coordinator refuses of an initiator's enlisted branches, and that a refusal changes nothing. */
let app: RunningCoordinator;
let api: CoordinatorApi;
const h = CoordinatorHarness.perFile((started, client) => ((app = started), (api = client)));
const ACCOUNT = h.service('account');
const PRODUCT = h.service('product');

test('when an enlisted gid belongs to another transaction, then commit answers 409 duplicate-gid and nothing changes', async () => {
  const other = await api.begin();
  const tx = await api.begin();
  const stolen = preparedBranch(ACCOUNT, tx);
  // A buggy participant registered tx's gid into another transaction.
  await api.registerBranch(other.id, { service: ACCOUNT, instance: 'a1', gid: stolen.gid, vote: 'yes' });
  await expect(api.commit(tx.id, { branches: [preparedBranch(PRODUCT, tx), stolen] })).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'duplicate-gid',
    status: 'active',
  });
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'active', decision: null, branches: [] });
  // Protocol v2, default lifecycle events: nothing for a begin, and the refusal wrote nothing.
  expect(await outboxKeys(h.dbUrl, tx.id)).toEqual([]);
  expect((await api.get(other.id)).branches.map((b) => [b.gid, b.status])).toEqual([
    [stolen.gid, 'prepared'],
  ]);
});

test('when a commit of an id nobody began enlists a gid of another transaction, then it is 409 and the transaction is not created', async () => {
  const other = await api.begin();
  const id = uuidv7();
  const stolen = preparedBranch(ACCOUNT, { id } as TransactionView);
  await api.registerBranch(other.id, { service: ACCOUNT, instance: 'a1', gid: stolen.gid, vote: 'yes' });
  await expect(
    api.commit(id, { branches: [preparedBranch(PRODUCT, { id } as TransactionView), stolen] }),
  ).rejects.toMatchObject({ name: 'TransactionConflictError', code: 'duplicate-gid' });
  await expect(api.get(id)).rejects.toMatchObject({ name: 'TransactionNotFoundError' });
  expect(await outboxKeys(h.dbUrl, id)).toEqual([]);
});

test('when a commit or rollback body is invalid, then it is refused with 400 and nothing changes', async () => {
  const tx = await api.begin();
  const ok = preparedBranch(ACCOUNT, tx);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: h.credentials.bearer(CoordinatorHarness.INITIATOR),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error: string; details?: unknown } };
  };
  const commitBodies: unknown[] = [
    { branches: [{ ...ok, service: 'Account Service' }] },
    { branches: [{ ...ok, service: PRODUCT }] }, // the gid names another service
    { branches: [{ ...ok, gid: 'not-a-gid' }] },
    { branches: [preparedBranch(ACCOUNT, { ...tx, id: '00000000-0000-4000-8000-000000000000' })] }, // another transaction
    { branches: [ok, ok] },
    { branches: [{ ...ok, finishedByCaller: 'yes' }] },
    { branches: [{ ...ok, vote: 'yes' }] },
    { branches: ok },
    { decision: 'commit' },
  ];
  for (const body of commitBodies) {
    const res = await post(`/v1/transactions/${tx.id}/commit`, body);
    expect([JSON.stringify(body), res.status, res.body.error]).toEqual([
      JSON.stringify(body),
      400,
      'invalid-request',
    ]);
  }
  expect(
    (await post(`/v1/transactions/${tx.id}/rollback`, { reason: 'x', branches: [{ gid: ok.gid }] })).status,
  ).toBe(400);
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'active', branches: [] });
  expect(await outboxKeys(h.dbUrl, tx.id)).toEqual([]);
});

test('when a commit names a branch the earlier decision did not include, then it is refused with 409 transaction-decided', async () => {
  const tx = await api.begin();
  const first = [preparedBranch(ACCOUNT, tx)];
  await api.commit(tx.id, { branches: first });
  const late = preparedBranch(PRODUCT, tx);
  await expect(api.commit(tx.id, { branches: [...first, late] })).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'transaction-decided',
    status: 'committing',
  });
  expect((await api.get(tx.id)).branches.map((b) => b.gid)).toEqual([first[0]!.gid]);
});

test('when the transaction timed out before the commit, then the enlisted branches are rolled back with it', async () => {
  const tx = await api.begin({ timeoutMs: 1000 });
  h.clock.advance(1001);
  const enlisted = [preparedBranch(ACCOUNT, tx)];
  await expect(api.commit(tx.id, { branches: enlisted })).rejects.toMatchObject({
    code: 'transaction-rolled-back',
  });
  const view = await api.get(tx.id);
  expect(view).toMatchObject({ status: 'rolling-back', reason: 'timeout' });
  expect(view.branches.map((b) => [b.gid, b.status])).toEqual([[enlisted[0]!.gid, 'prepared']]);
  const { entry } = await waitForDecisionEntry(h.capture, routingKeys.decision(ACCOUNT), tx.id);
  expect(entry).toMatchObject({ decision: 'rollback', branches: [{ gid: enlisted[0]!.gid }] });
});
