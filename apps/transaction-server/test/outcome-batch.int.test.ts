import { makeGid, routingKeys, type CoordinatorApi, type Outcome, type TransactionView } from '@trx/protocol';
import { queryDatabase, waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';
import { preparedBranch } from './enlisting';

let app: RunningCoordinator;
let api: CoordinatorApi;
const h = CoordinatorHarness.perFile((started, client) => ((app = started), (api = client)));
const ACCOUNT = h.service('account');
const ORDER = h.service('order');

const acks = (tx: TransactionView, outcome: Outcome) =>
  tx.branches.map((b) => ({ transactionId: tx.id, gid: b.gid, outcome }));

/** Lifecycle rows the coordinator wrote for a transaction with the given final status. */
async function endEvents(id: string, status: string): Promise<number> {
  const [row] = await queryDatabase<{ n: number }>(
    h.dbUrl,
    `SELECT count(*)::int AS n FROM trx_outbox WHERE body->>'transactionId' = $1 AND body->>'status' = $2`,
    [id, status],
  );
  return row!.n;
}

/** Waits until the publisher announced the decisions: only then does the last acknowledgement end a transaction. */
const announced = (...ids: string[]) =>
  waitFor(async () => (await Promise.all(ids.map((id) => h.announced(id)))).every(Boolean), {
    description: `announced: ${ids.join(', ')}`,
  });

test('when the participants acknowledge in one batch, then each transaction ends, announced once at its decision', async () => {
  const a = await api.begin();
  const b = await api.begin();
  const kept = await api.commit(a.id, {
    branches: [preparedBranch(ACCOUNT, a), preparedBranch(ORDER, a, true)],
  });
  const dropped = await api.rollback(b.id, 'insufficient-stock', [
    preparedBranch(ACCOUNT, b),
    preparedBranch(ORDER, b, true),
  ]);
  await announced(a.id, b.id);
  const batch = { outcomes: [...acks(kept, 'committed'), ...acks(dropped, 'rolled-back')] };

  expect(await api.recordOutcomes(batch)).toEqual({ recorded: 4, rejected: [] });
  const [doneA, doneB] = [await api.get(a.id), await api.get(b.id)];
  expect(doneA.status).toBe('committed');
  expect(doneA.branches.map((x) => x.status)).toEqual(['committed', 'committed']);
  expect(doneB.status).toBe('rolled-back');
  expect(doneB.branches.map((x) => x.status)).toEqual(['rolled-back', 'rolled-back']);

  // The same batch again (a retry after a lost answer): recorded, and nothing is announced again.
  expect(await api.recordOutcomes(batch)).toEqual({ recorded: 4, rejected: [] });
  // TRX_LIFECYCLE_EVENTS=decision (the default): no end event is written, the decision's was the only one.
  expect([await endEvents(a.id, 'committed'), await endEvents(b.id, 'rolled-back')]).toEqual([0, 0]);
  expect(await app.outbox.runOnce()).toBe(0);
  const events = await waitFor(() => {
    const got = [...h.capture.forTransaction(a.id), ...h.capture.forTransaction(b.id)];
    return got.length >= 2 ? got : undefined;
  });
  expect(events.map((m) => `${m.routingKey} ${String(m.body.status)}`).sort()).toEqual([
    `${routingKeys.committed} committing`,
    `${routingKeys.rolledBack} rolling-back`,
  ]);
});

test('when lifecycle events are `all` and the participants acknowledge in one batch, then each final event is written and published once', async () => {
  const all = await h.start({ lifecycleEvents: 'all' });
  try {
    const allApi = h.client(all);
    const a = await allApi.begin();
    const kept = await allApi.commit(a.id, {
      branches: [preparedBranch(ACCOUNT, a), preparedBranch(ORDER, a, true)],
    });
    await announced(a.id);
    const batch = { outcomes: acks(kept, 'committed') };
    expect(await allApi.recordOutcomes(batch)).toEqual({ recorded: 2, rejected: [] });
    expect(await allApi.recordOutcomes(batch)).toEqual({ recorded: 2, rejected: [] });
    expect((await allApi.get(a.id)).status).toBe('committed');
    await waitFor(() => h.capture.forTransaction(a.id).some((m) => m.body.status === 'committed'));
    expect(await endEvents(a.id, 'committed')).toBe(1);
    expect(await all.outbox.runOnce()).toBe(0);
    expect(
      h.capture
        .forTransaction(a.id)
        .filter((m) => m.body.status === 'committed')
        .map((m) => m.routingKey),
    ).toEqual([routingKeys.committed]);
  } finally {
    await h.stop(all);
  }
});

test('when an acknowledgement contradicts the decision or names nothing known, then it is rejected and nothing changes', async () => {
  const tx = await api.begin();
  const view = await api.commit(tx.id, { branches: [preparedBranch(ACCOUNT, tx)] });
  const active = await api.begin();
  await api.registerBranch(active.id, {
    service: ACCOUNT,
    instance: 'a1',
    gid: makeGid(ACCOUNT, active.id, 'a'),
    vote: 'yes',
  });
  const answer = await api.recordOutcomes({
    outcomes: [
      { transactionId: tx.id, gid: view.branches[0]!.gid, outcome: 'rolled-back' },
      { transactionId: tx.id, gid: makeGid(ACCOUNT, tx.id, 'unknown'), outcome: 'committed' },
      { transactionId: '00000000-0000-4000-8000-000000000000', gid: 'trx:x:y:z', outcome: 'committed' },
      { transactionId: 'not-a-uuid', gid: 'trx:x:y:z', outcome: 'committed' },
      { transactionId: active.id, gid: makeGid(ACCOUNT, active.id, 'a'), outcome: 'committed' },
    ],
  });
  expect(answer.recorded).toBe(0);
  expect(answer.rejected.map((r) => r.error).sort()).toEqual(
    [
      'outcome-mismatch',
      'branch-not-found',
      'transaction-not-found',
      'transaction-not-found',
      'transaction-not-decided',
    ].sort(),
  );
  expect(await api.get(tx.id)).toMatchObject({ status: 'committing', branches: [{ status: 'prepared' }] });
  expect(await api.get(active.id)).toMatchObject({ status: 'active', branches: [{ status: 'prepared' }] });
});

test('when an acknowledgement batch is invalid or larger than 1000, then it is refused with 400', async () => {
  const post = async (body: unknown) =>
    (
      await fetch(`${app.url}/v1/outcomes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: h.credentials.bearer('a') },
        body: JSON.stringify(body),
      })
    ).status;
  const one = {
    transactionId: '00000000-0000-4000-8000-000000000000',
    gid: 'trx:a:b:c',
    outcome: 'committed',
  };
  expect(await post({ outcomes: Array.from({ length: 1000 }, () => one) })).toBe(200);
  expect(await post({ outcomes: Array.from({ length: 1001 }, () => one) })).toBe(400);
  expect(await post({ outcomes: [{ ...one, outcome: 'done' }] })).toBe(400);
  expect(await post({ outcomes: [{ ...one, branchId: 'x' }] })).toBe(400);
  expect(await post({})).toBe(400);
});

test('when a branch the initiator finishes itself does not acknowledge, then the re-published decision includes it', async () => {
  const tx = await api.begin();
  const view = await api.commit(tx.id, {
    branches: [preparedBranch(ACCOUNT, tx), preparedBranch(ORDER, tx, true)],
  });
  const [account, order] = view.branches;
  await api.recordOutcomes({ outcomes: [{ transactionId: tx.id, gid: account!.gid, outcome: 'committed' }] });
  const decisionsTo = (service: string) => h.decisionsFor(tx.id).filter((d) => d.service === service);
  // The decision (to ACCOUNT only) and the lifecycle event.
  await waitFor(() => h.keysFor(tx.id).length >= 2);
  await announced(tx.id);
  expect(decisionsTo(ORDER)).toHaveLength(0);

  h.clock.advance(5001);
  await app.sweeper.runOnce();
  const [republished] = await waitFor(() => (decisionsTo(ORDER).length > 0 ? decisionsTo(ORDER) : undefined));
  expect(republished).toMatchObject({
    decision: 'commit',
    branches: [{ branchId: order!.id, gid: order!.gid }],
    message: { routingKey: routingKeys.decision(ORDER), body: { type: 'decisions', service: ORDER } },
  });
  expect(decisionsTo(ACCOUNT)).toHaveLength(1);

  await api.recordOutcomes({ outcomes: [{ transactionId: tx.id, gid: order!.gid, outcome: 'committed' }] });
  const done = await api.get(tx.id);
  expect(done.status).toBe('committed');
  expect(done.branches.map((b) => b.status)).toEqual(['committed', 'committed']);
});
