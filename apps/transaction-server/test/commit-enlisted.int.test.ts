import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  canTransition,
  makeGid,
  TRANSACTION_STATUSES,
  TRANSACTION_TRANSITIONS,
  uuidv7,
  uuidv7Time,
  type CommitEvent,
  type CoordinatorApi,
} from '@trx/protocol';
import { queryDatabase } from '@trx/test-support';
import { commitInOneStatement, type NewBranch } from '../src/data-access';
import { ONE_STATEMENT_COMMIT } from '../src/domain/state-machine';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';
import { outboxKeys, preparedBranch } from './enlisting';

/** trx_commit_v3, the usual commit in one statement (protocol v2), called directly. */
const h = new CoordinatorHarness();
let app: RunningCoordinator;
let api: CoordinatorApi;
let pool: Pool;
let ACCOUNT: string;
const TIMEOUT_MS = 30_000;

beforeAll(async () => {
  await h.setUp();
  app = await h.start();
  api = h.client(app);
  pool = new Pool({ connectionString: h.dbUrl, max: 2 });
  ACCOUNT = h.service('account');
});
afterAll(async () => {
  await pool.end();
  await h.tearDown();
});

function branch(tx: { id: string }, key = randomUUID().slice(0, 8)): NewBranch {
  return {
    id: randomUUID(),
    service: ACCOUNT,
    instance: 'a1',
    gid: makeGid(ACCOUNT, tx.id, key),
    finishedByCaller: false,
  };
}

const confirmed = (): CommitEvent => ({
  routingKey: 'test.confirmed',
  body: { messageId: uuidv7(), orderId: 7 } as CommitEvent['body'],
});

/** What the transaction holds in the database: its row's state, its branches' gids, its outbox keys. */
async function stored(tx: { id: string }) {
  const [t] = await queryDatabase<{ status: string; announced: boolean; initiator: string | null }>(
    h.dbUrl,
    'SELECT status, announced, initiator FROM trx_transaction WHERE id = $1',
    [tx.id],
  );
  const branches = await queryDatabase<{ gid: string; status: string }>(
    h.dbUrl,
    'SELECT gid, status FROM trx_branch WHERE transaction_id = $1 ORDER BY created_at',
    [tx.id],
  );
  return { row: t ?? null, branches, outbox: await outboxKeys(h.dbUrl, tx.id) };
}

/**
 * One trx_commit_v3 call. `create` as the coordinator passes it: true for a UUIDv7 id (every
 * id here is one: begin mints them too), with the terms that follow from the id.
 */
async function commitOnce(
  tx: { id: string },
  branches: NewBranch[],
  o: { now?: Date; initiator?: string; create?: boolean; events?: CommitEvent[] | null } = {},
) {
  const now = o.now ?? new Date();
  const minted = uuidv7Time(tx.id)!;
  return commitInOneStatement(pool, {
    id: tx.id,
    now,
    republishAt: new Date(now.getTime() + 5000),
    create: o.create ?? true,
    createdAt: new Date(minted),
    timeoutMs: TIMEOUT_MS,
    deadline: new Date(minted + TIMEOUT_MS),
    branches,
    events: o.events ?? null,
    initiator: o.initiator ?? CoordinatorHarness.INITIATOR,
    statuses: ONE_STATEMENT_COMMIT,
  });
}

test('when the transaction is active and has no branch yet, then one statement enlists the branches in order and writes the commit, unannounced, with no outbox row', async () => {
  const tx = await api.begin();
  const branches = [branch(tx, 'first'), branch(tx, 'second'), branch(tx, 'third')];
  const events = [confirmed()];
  const t = await commitOnce(tx, branches, { events });
  expect(t).toMatchObject({
    id: tx.id,
    status: 'committing',
    decision: 'commit',
    reason: null,
    announced: false,
    events,
    initiator: CoordinatorHarness.INITIATOR,
  });
  // Begun explicitly: its own terms stand (the default timeout of begin, its own creation time).
  expect(t!.createdAt.toISOString()).toBe(tx.createdAt);
  expect(t!.deadline.toISOString()).toBe(tx.deadline);
  expect(await stored(tx)).toEqual({
    row: { status: 'committing', announced: false, initiator: CoordinatorHarness.INITIATOR },
    branches: branches.map((b) => ({ gid: b.gid, status: 'prepared' })),
    outbox: [],
  });
});

test('when the coordinator never saw the UUIDv7 id, then the one statement creates it committing with its branches, its terms and the initiator', async () => {
  const id = uuidv7();
  const branches = [branch({ id }, 'first'), branch({ id }, 'second')];
  const events = [confirmed()];
  const now = new Date();
  const t = await commitOnce({ id }, branches, { now, events });
  const minted = uuidv7Time(id)!;
  expect(t).toMatchObject({
    id,
    status: 'committing',
    decision: 'commit',
    reason: null,
    initiator: CoordinatorHarness.INITIATOR,
    compat: false,
    timeoutMs: TIMEOUT_MS,
    createdAt: new Date(minted),
    deadline: new Date(minted + TIMEOUT_MS),
    decidedAt: now,
    nextRepublishAt: new Date(now.getTime() + 5000),
    announced: false,
    events,
  });
  expect(await stored({ id })).toEqual({
    row: { status: 'committing', announced: false, initiator: CoordinatorHarness.INITIATOR },
    branches: branches.map((b) => ({ gid: b.gid, status: 'prepared' })),
    outbox: [],
  });
  // Decided now: the same commit again finds it decided and writes nothing.
  const before = await stored({ id });
  expect(await commitOnce({ id }, [branch({ id })])).toBeUndefined();
  expect(await stored({ id })).toEqual(before);
});

test('when the transaction was decided, is past its deadline, is a Spring-sample one, a tombstone or has a branch already, then nothing is written', async () => {
  const decided = await api.begin();
  await api.rollback(decided.id, 'changed my mind');
  const late = await api.begin({ timeoutMs: 1000 });
  const registered = await api.begin();
  await api.registerBranch(registered.id, {
    service: ACCOUNT,
    instance: 'a1',
    gid: makeGid(ACCOUNT, registered.id, 'reg'),
  });
  const compat = await queryDatabase<{ id: string }>(
    h.dbUrl,
    `INSERT INTO trx_transaction (id, status, compat, timeout_ms, deadline, created_at, updated_at)
     VALUES ($1, 'active', true, 60000, now() + interval '1 minute', now(), now()) RETURNING id`,
    [uuidv7()],
  );
  const spring = { id: compat[0]!.id };
  const tombstone = { id: uuidv7(Date.now() - TIMEOUT_MS - 1000) };
  await queryDatabase(
    h.dbUrl,
    `INSERT INTO trx_transaction (id, status, decision, reason, compat, timeout_ms, deadline, created_at, updated_at, decided_at)
     VALUES ($1, 'rolled-back', 'rollback', 'presumed-abort', false, $2, now() - interval '1 second', now() - interval '31 seconds', now(), now())`,
    [tombstone.id, TIMEOUT_MS],
  );

  for (const [tx, now] of [
    [decided, new Date()],
    [late, new Date(Date.now() + 2000)],
    [registered, new Date()],
    [spring, new Date()],
    [tombstone, new Date()],
  ] as const) {
    for (const create of [true, false]) {
      const before = await stored(tx);
      expect(await commitOnce(tx, [branch(tx)], { now, create })).toBeUndefined();
      expect(await stored(tx)).toEqual(before);
    }
  }
});

test('when the id is unknown and the statement may not create it, then nothing is written', async () => {
  const id = uuidv7();
  expect(await commitOnce({ id }, [branch({ id })], { create: false })).toBeUndefined();
  expect(await stored({ id })).toEqual({ row: null, branches: [], outbox: [] });
});

test('when the commit of enlisted branches goes the general way (a branch registered before), then the answer is the same decision', async () => {
  const tx = await api.begin();
  const early = await api.registerBranch(tx.id, {
    service: ACCOUNT,
    instance: 'a1',
    gid: makeGid(ACCOUNT, tx.id, 'early'),
    vote: 'yes',
  });
  const late = preparedBranch(ACCOUNT, tx);
  const view = await api.commit(tx.id, { branches: [late] });
  expect(view).toMatchObject({ status: 'committing', decision: 'commit' });
  expect(view.branches.map((b) => b.gid)).toEqual([early.gid, late.gid]);
});

test('when a service that did not begin the transaction commits it, then the one statement writes nothing and the answer is 403', async () => {
  const tx = await api.begin();
  const before = await stored(tx);
  expect(await commitOnce(tx, [branch(tx)], { initiator: ACCOUNT })).toBeUndefined();
  expect(await stored(tx)).toEqual(before);

  const intruder = h.clientAs(app, ACCOUNT);
  for (const attempt of [
    () => intruder.commit(tx.id, { branches: [preparedBranch(ACCOUNT, tx)] }),
    () => intruder.rollback(tx.id, 'not mine'),
  ]) {
    await expect(attempt()).rejects.toMatchObject({ message: expect.stringContaining('may not decide') });
    expect(await stored(tx)).toEqual(before);
  }
  expect(await api.get(tx.id)).toMatchObject({ status: 'active', branches: [] });
});

test('when a begun transaction is in any status, then the one statement commits it exactly when the transition table lets that status move to committing', async () => {
  for (const status of TRANSACTION_STATUSES) {
    const [row] = await queryDatabase<{ id: string }>(
      h.dbUrl,
      `INSERT INTO trx_transaction (id, status, initiator, timeout_ms, deadline, created_at, updated_at)
       VALUES ($1, $2, $3, 60000, now() + interval '1 minute', now(), now()) RETURNING id`,
      [uuidv7(), status, CoordinatorHarness.INITIATOR],
    );
    const tx = { id: row!.id };
    const before = await stored(tx);
    const committed = await commitOnce(tx, [branch(tx)], { create: false });
    const allowed = canTransition(TRANSACTION_TRANSITIONS, status, 'committing');
    expect({ status, committed: committed?.status }).toEqual({
      status,
      committed: allowed ? 'committing' : undefined,
    });
    if (!allowed) expect(await stored(tx)).toEqual(before);
  }
});

test('when a replica not yet upgraded calls trx_commit_v2 during a rolling upgrade, then it still commits', async () => {
  const tx = await api.begin();
  const b = branch(tx);
  const now = new Date();
  const minted = uuidv7Time(tx.id)!;
  const rows = await queryDatabase<{ status: string }>(
    h.dbUrl,
    'SELECT status FROM trx_commit_v2($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)',
    [
      tx.id,
      now,
      new Date(now.getTime() + 5000),
      true,
      new Date(minted),
      TIMEOUT_MS,
      new Date(minted + TIMEOUT_MS),
      [b.id],
      [b.service],
      [b.instance],
      [b.gid],
      [b.finishedByCaller],
      null,
      CoordinatorHarness.INITIATOR,
    ],
  );
  expect(rows).toEqual([{ status: 'committing' }]);
  expect((await stored(tx)).branches).toEqual([{ gid: b.gid, status: 'prepared' }]);
});
