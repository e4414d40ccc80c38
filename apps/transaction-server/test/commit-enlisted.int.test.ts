import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { makeGid, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { queryDatabase } from '@trx/test-support';
import { commitEnlisted, type NewBranch } from '../src/data-access';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';
import { outboxKeys, preparedBranch } from './enlisting';

const h = new CoordinatorHarness();
let app: RunningCoordinator;
let api: CoordinatorApi;
let pool: Pool;
let ACCOUNT: string;

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

function branch(tx: TransactionView, key = randomUUID().slice(0, 8)): NewBranch {
  return {
    id: randomUUID(),
    service: ACCOUNT,
    instance: 'a1',
    gid: makeGid(ACCOUNT, tx.id, key),
    finishedByCaller: false,
  };
}

const message = (tx: TransactionView) => ({
  id: randomUUID(),
  routingKey: 'transaction.committed',
  body: { transactionId: tx.id },
});

/** What the transaction holds in the database: its status, its branches' gids, its outbox keys. */
async function stored(tx: TransactionView) {
  const [t] = await queryDatabase<{ status: string }>(
    h.dbUrl,
    'SELECT status FROM trx_transaction WHERE id = $1',
    [tx.id],
  );
  const branches = await queryDatabase<{ gid: string; status: string }>(
    h.dbUrl,
    'SELECT gid, status FROM trx_branch WHERE transaction_id = $1 ORDER BY created_at',
    [tx.id],
  );
  return { status: t!.status, branches, outbox: await outboxKeys(h.dbUrl, tx.id) };
}

async function commitOnce(
  tx: TransactionView,
  branches: NewBranch[],
  now = new Date(),
  initiator = CoordinatorHarness.INITIATOR,
) {
  const republishAt = new Date(now.getTime() + 5000);
  return commitEnlisted(pool, tx.id, branches, [message(tx)], now, republishAt, initiator);
}

test('when the transaction is active and has no branch yet, then one statement enlists the branches in order and writes the commit with its outbox rows', async () => {
  const tx = await api.begin();
  const branches = [branch(tx, 'first'), branch(tx, 'second'), branch(tx, 'third')];
  const t = await commitOnce(tx, branches);
  expect(t).toMatchObject({ id: tx.id, status: 'committing', decision: 'commit', reason: null });
  expect(await stored(tx)).toEqual({
    status: 'committing',
    branches: branches.map((b) => ({ gid: b.gid, status: 'prepared' })),
    outbox: ['transaction.begun', 'transaction.committed'],
  });
});

test('when the transaction was decided, is past its deadline, is a Spring-sample one or has a branch already, then nothing is written', async () => {
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
     VALUES (gen_random_uuid(), 'active', true, 60000, now() + interval '1 minute', now(), now()) RETURNING id`,
  );
  const spring = { ...registered, id: compat[0]!.id };

  for (const [tx, now] of [
    [decided, new Date()],
    [late, new Date(Date.now() + 2000)],
    [registered, new Date()],
    [spring, new Date()],
  ] as const) {
    const before = await stored(tx);
    expect(await commitOnce(tx, [branch(tx)], now)).toBeUndefined();
    expect(await stored(tx)).toEqual(before);
  }
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
  expect(await commitOnce(tx, [branch(tx)], new Date(), ACCOUNT)).toBeUndefined();
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
