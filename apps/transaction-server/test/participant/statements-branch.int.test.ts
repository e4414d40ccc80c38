import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { pgDriver, poolOf } from '@trx/db';
import { countSocketWrites, waitFor } from '@trx/test-support';
import type { BranchStatement, Participant } from '@trx/participant';
import { ParticipantHarness } from './participant-harness';

/**
 * A branch whose work is known statements (runStatementsAsBranch), on the real Postgres:
 * BEGIN, the statements, the trx_branch row and PREPARE in one write. The participants' pool
 * holds one connection, so the test watches every write of the branch on it.
 */
let h: ParticipantHarness;
let participant: Participant;
/** The same service with a cap of one prepared branch. */
let capped: Participant;
let dataSource: DataSource;
let connection: PoolClient;
let writes: ReturnType<typeof countSocketWrites>;

beforeAll(async () => {
  h = await ParticipantHarness.start();
  dataSource = await new DataSource({
    type: 'postgres',
    url: h.dbUrl,
    poolSize: 1,
    driver: pgDriver(),
  }).initialize();
  participant = await h.startParticipant({ dataSource });
  capped = await h.startParticipant({ dataSource, maxPreparedBranches: 1 });
  connection = await poolOf(dataSource).connect();
  writes = countSocketWrites(connection);
  connection.release();
});

afterAll(async () => {
  if (!h) return;
  writes?.stop();
  const left = await h.prepared();
  await h.stop();
  await dataSource.destroy();
  expect(left).toEqual([]);
});

const insertItem = (txId: string, name: string, id?: number): BranchStatement =>
  id === undefined
    ? {
        text: 'INSERT INTO items (transaction_id, name) VALUES ($1, $2) RETURNING name',
        values: [txId, name],
      }
    : { text: 'INSERT INTO items (id, transaction_id, name) VALUES ($1, $2, $3)', values: [id, txId, name] };
const itemsOf = (txId: string) => h.sql('SELECT name FROM items WHERE transaction_id = $1', [txId]);
const branchRowsOf = (txId: string) => h.sql('SELECT gid FROM trx_branch WHERE transaction_id = $1', [txId]);

/** The pool's one connection, as the next branch will find it. */
async function pooledSession() {
  const { rows } = await poolOf(dataSource).query<{ pid: number; open: string | null; timeout: string }>(
    "SELECT pg_backend_pid() AS pid, txid_current_if_assigned()::text AS open, current_setting('lock_timeout') AS timeout",
  );
  return rows[0]!;
}

/** Socket writes of the last branch `enlisted` ran, prepared or not. */
let sent = 0;

/** Runs the statements as a branch its caller enlists: their results and its gid. */
async function enlisted(on: Participant, transactionId: string, statements: BranchStatement[]) {
  let gid = '';
  const before = writes.count;
  try {
    const options = { enlistedByCaller: true, onPrepared: (g: string) => (gid = g) };
    return { results: await on.runStatementsAsBranch(transactionId, statements, options), gid };
  } finally {
    sent = writes.count - before;
  }
}

it('when known statements run as a branch, then BEGIN, the statements, the branch row, PREPARE and the reset go in one write, and the branch is prepared with its row', async () => {
  const session = await pooledSession();
  const transactionId = randomUUID();
  const { results, gid } = await enlisted(participant, transactionId, [
    { text: "SELECT set_config('lock_timeout', '1234ms', false)" }, // outlives PREPARE: RESET ALL ends it
    insertItem(transactionId, 'one'),
    insertItem(transactionId, 'two'),
  ]);
  expect(sent).toBe(1);
  expect(results.map((r) => r.rows)).toEqual([
    [{ set_config: '1234ms' }],
    [{ name: 'one' }],
    [{ name: 'two' }],
  ]);
  expect(await h.prepared()).toEqual([gid]);
  expect(await itemsOf(transactionId)).toEqual([]); // invisible until the decision
  expect(await pooledSession()).toEqual(session); // same connection, out of any transaction, settings reset

  await h.sql(`COMMIT PREPARED '${gid}'`);
  expect(await itemsOf(transactionId)).toEqual([{ name: 'one' }, { name: 'two' }]);
  expect(await branchRowsOf(transactionId)).toEqual([{ gid }]);
});

it('when a statement fails (a duplicate key), then nothing after it runs, nothing is prepared, the connection goes back clean and the branch votes no', async () => {
  const [taken] = await h.sql<{ id: number }>("INSERT INTO items (name) VALUES ('taken') RETURNING id");
  const session = await pooledSession();
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const before = writes.count;
  const failing = participant.runStatementsAsBranch(tx.id, [
    insertItem(tx.id, 'before the duplicate'),
    insertItem(tx.id, 'duplicate', taken!.id),
  ]);
  await expect(failing).rejects.toMatchObject({ code: '23505' });
  expect(writes.count - before).toBe(2); // the pipeline, then ROLLBACK; RESET ALL
  expect(await h.prepared()).toEqual([]);
  expect(await itemsOf(tx.id)).toEqual([]);
  expect(await branchRowsOf(tx.id)).toEqual([]);
  expect(await pooledSession()).toEqual(session);
  const view = await h.coordinator.get(tx.id);
  expect(view.branches.map((b) => [b.status, b.reason])).toEqual([
    ['failed', expect.stringMatching(/duplicate key/)],
  ]);
  await h.coordinator.rollback(tx.id);
});

it('when the branch registers its own vote, then the coordinator records it and the commit decision reaches it', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  await participant.runStatementsAsBranch(tx.id, [insertItem(tx.id, 'voted')]);
  expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['prepared']);
  await h.coordinator.commit(tx.id);
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
  expect(await itemsOf(tx.id)).toEqual([{ name: 'voted' }]);
});

it("when the service is at its cap, then the cap's check, riding in the pipeline, refuses with TooManyPreparedError and nothing is prepared", async () => {
  const first = randomUUID();
  const held = await enlisted(capped, first, [insertItem(first, 'under the cap')]); // no reading yet: checked, 0 prepared
  expect(sent).toBe(1);
  const session = await pooledSession();
  const second = randomUUID();
  // The gauge's estimate is 1 of a cap of 1: checked, and the check finds the cap reached.
  await expect(enlisted(capped, second, [insertItem(second, 'past the cap')])).rejects.toMatchObject({
    name: 'TooManyPreparedError',
  });
  expect(sent).toBe(2); // the pipeline, then ROLLBACK; RESET ALL
  expect(await h.prepared()).toEqual([held.gid]);
  expect(await itemsOf(second)).toEqual([]);
  expect(await pooledSession()).toEqual(session);

  await capped.abandon(first, held.gid);
  expect(await h.prepared()).toEqual([]);
});

it('when the caller is gone before the branch is sent, then nothing is sent and CallerGoneError says so', async () => {
  const transactionId = randomUUID();
  const before = writes.count;
  const gone = participant.runStatementsAsBranch(transactionId, [insertItem(transactionId, 'nobody waits')], {
    enlistedByCaller: true,
    abandoned: () => true,
  });
  await expect(gone).rejects.toMatchObject({ name: 'CallerGoneError' });
  expect(writes.count - before).toBe(0); // not even a BEGIN: nothing to clean up
  expect(await itemsOf(transactionId)).toEqual([]);
});
