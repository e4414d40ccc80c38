import type { DataSource, EntityManager } from 'typeorm';
import { statementRecorder, waitFor } from '@trx/test-support';
import type { Participant } from '@trx/participant';
import { StatementGate } from './gated-pg';
import { ParticipantHarness, SERVICE } from './participant-harness';

/** What a branch sends to Postgres: every round trip counts on the hot path. */
let h: ParticipantHarness;
let participant: Participant;
let counted: DataSource;
/** Never closed: it records what reaches pg's clients, whichever layer sent it. */
const onTheWire = new StatementGate(/PREPARED|trx_branch/);

const { logger: recorder, sent } = statementRecorder();

beforeAll(async () => {
  h = await ParticipantHarness.start();
  counted = await onTheWire.dataSource(h.dbUrl, 2, recorder).initialize();
  participant = await h.startParticipant({ dataSource: counted });
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await participant.stop();
  await counted.destroy();
  await h.stop();
  expect(left).toEqual([]);
});

const insert = (m: EntityManager) => m.query("INSERT INTO items (name) VALUES ('one')");

it('when a branch runs one statement of work, then it takes three round trips: begin, the work, and row + prepare + reset in one', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  let gid = '';
  sent.length = 0;
  await participant.runBranch(tx.id, insert, { enlistedByCaller: true, onPrepared: (g) => (gid = g) });
  expect(sent).toEqual([
    'START TRANSACTION',
    "INSERT INTO items (name) VALUES ('one')",
    `INSERT INTO trx_branch (gid, transaction_id) VALUES ('${gid}', '${tx.id}'); PREPARE TRANSACTION '${gid}'; RESET ALL`,
  ]);
  await h.coordinator.rollback(tx.id, 'test', [{ service: SERVICE, gid }]);
  await waitFor(async () => (await h.prepared()).length === 0);
});

it('when a local transaction runs one statement of work, then it takes three round trips: begin, the work, and commit + reset in one', async () => {
  sent.length = 0;
  await participant.runLocal(insert);
  expect(sent).toEqual(['START TRANSACTION', "INSERT INTO items (name) VALUES ('one')", 'COMMIT; RESET ALL']);
});

it('when the work caught a failed statement and went on, then the branch is not prepared and votes no', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const swallowing = participant.runBranch(tx.id, async (m) => {
    await m.query('SELECT * FROM no_such_table').catch(() => undefined);
    await m.query("SELECT 'the transaction is aborted by now'").catch(() => undefined);
  });
  // PREPARE alone would have rolled the aborted transaction back without an error.
  await expect(swallowing).rejects.toThrow(/current transaction is aborted/);
  expect(await h.prepared()).toEqual([]);
  expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['failed']);
  await h.coordinator.rollback(tx.id);
});

it('when a decision is applied, then it is one statement on the pg pool of the finisher, none of it through TypeORM, and a repeat adds one look-up', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  let gid = '';
  await participant.runBranch(tx.id, insert, { enlistedByCaller: true, onPrepared: (g) => (gid = g) });
  await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE, gid, finishedByCaller: true }] });
  sent.length = 0;
  onTheWire.seen.length = 0;
  expect(await participant.finish(tx.id, gid, 'commit')).toEqual({ outcome: 'committed', changed: true });
  expect(onTheWire.seen).toEqual([`COMMIT PREPARED '${gid}'`]);
  expect(await participant.finish(tx.id, gid, 'commit')).toEqual({ outcome: 'committed', changed: false });
  expect(onTheWire.seen).toEqual([
    `COMMIT PREPARED '${gid}'`,
    `COMMIT PREPARED '${gid}'`,
    'SELECT 1 FROM trx_branch WHERE gid = $1',
  ]);
  expect(sent).toEqual([]);
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
});
