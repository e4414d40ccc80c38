import { randomUUID } from 'node:crypto';
import { finishBranch, rollbackPrepared } from '../src/branch-finisher';
import { createBranchTable, newGid, prepareBranchSql } from '../src/branch-sql';
import { openFinisher, type FinisherPool } from '../src/finisher-pool';
import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase, LogTap, preparedIn, queryDatabase } from '@trx/test-support';

/**
 * COMMIT / ROLLBACK PREPARED on the finisher's pg pool, against the real database. No
 * coordinator: the branches are prepared by hand, as runBranch leaves them.
 */
const SERVICE = 'test-participant';
const tap = new LogTap();
let dbUrl: string;
let dataSource: DataSource;
let pool: FinisherPool;

beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_part');
  dataSource = new DataSource({ type: 'postgres', url: dbUrl, poolSize: 2 });
  await dataSource.initialize();
  await dataSource.query(
    'CREATE TABLE items (id serial PRIMARY KEY, transaction_id text, name text NOT NULL)',
  );
  await createBranchTable(dataSource);
  pool = await openFinisher(dataSource, 1);
});

afterAll(async () => {
  if (!dataSource) return;
  const left = await preparedIn(dbUrl);
  await pool.destroy();
  await dataSource.destroy();
  await dropTestDatabase(dbUrl);
  expect(left).toEqual([]);
});

/** SQL on a connection of its own (not the finisher's pool). */
const sql = (text: string, params: unknown[] = []) => queryDatabase(dbUrl, text, params);

/** A branch prepared on a connection of its own, as runBranch leaves it: an item and its trx_branch row. */
async function prepared(name: string) {
  const transactionId = randomUUID();
  const gid = newGid(SERVICE, transactionId);
  await sql(
    `BEGIN; INSERT INTO items (transaction_id, name) VALUES ('${transactionId}', '${name}'); ${prepareBranchSql(gid, transactionId)}`,
  );
  return { transactionId, gid };
}
const itemsOf = (txId: string) => sql('SELECT name FROM items WHERE transaction_id = $1', [txId]);
const backendPid = async () =>
  ((await pool.query('SELECT pg_backend_pid() AS pid')) as { pid: number }[])[0]!.pid;
const alarms = () => tap.lines.filter((l) => String(l.msg).startsWith('ATOMICITY ALARM'));

it('when a commit is applied twice, then the second finds the branch committed and unchanged, and the connection stays pooled', async () => {
  const ids = await prepared('committed twice');
  const pid = await backendPid();
  expect(await finishBranch(pool, tap.logger, ids, 'commit')).toEqual({
    outcome: 'committed',
    changed: true,
  });
  // The second COMMIT PREPARED fails with 42704 (undefined object): an answer, not a broken connection.
  expect(await finishBranch(pool, tap.logger, ids, 'commit')).toEqual({
    outcome: 'committed',
    changed: false,
  });
  expect(await backendPid()).toBe(pid);
  expect(await itemsOf(ids.transactionId)).toEqual([{ name: 'committed twice' }]);
  expect(alarms()).toEqual([]);
});

it('when a rollback is applied twice, then the second finds the branch rolled back and unchanged', async () => {
  const ids = await prepared('rolled back twice');
  expect(await finishBranch(pool, tap.logger, ids, 'rollback')).toEqual({
    outcome: 'rolled-back',
    changed: true,
  });
  expect(await finishBranch(pool, tap.logger, ids, 'rollback')).toEqual({
    outcome: 'rolled-back',
    changed: false,
  });
  expect(await itemsOf(ids.transactionId)).toEqual([]);
  expect(alarms()).toEqual([]);
});

it('when commit is decided for a branch already rolled back, then it says rolled back and raises the alarm', async () => {
  const ids = await prepared('rolled back by hand');
  await rollbackPrepared(pool, ids.gid);
  await rollbackPrepared(pool, ids.gid); // a gid already gone is no error here
  expect(await finishBranch(pool, tap.logger, ids, 'commit')).toEqual({
    outcome: 'rolled-back',
    changed: false,
  });
  expect(alarms().map((l) => [l.gid, l.decision, l.outcome])).toEqual([[ids.gid, 'commit', 'rolled-back']]);
});
