import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { gidPrefix } from '@trx/protocol';
import type { Participant } from '@trx/participant';
import { StatementGate } from './gated-pg';
import { ParticipantHarness, SERVICE } from './participant-harness';

/**
 * The cap of prepared branches (maxPreparedBranches 4) on the real Postgres: which closing
 * messages carry the check (seen on the wire: the check goes on pg's client, not through
 * TypeORM), and that the cap still refuses. The participant's clock stands still unless a
 * test moves it, so "a second old" is the test's to say, not the machine's load.
 */
const MAX = 4;
let h: ParticipantHarness;
let participant: Participant;
let wired: DataSource;
let now = Date.now();
/** Never closed: it records the closing messages that reach pg's clients. */
const onTheWire = new StatementGate(/PREPARE TRANSACTION/);

beforeAll(async () => {
  h = await ParticipantHarness.start();
  wired = await onTheWire.dataSource(h.dbUrl, 4).initialize();
  participant = await h.startParticipant({
    dataSource: wired,
    maxPreparedBranches: MAX,
    clock: () => new Date(now),
  });
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await participant.stop();
  await wired.destroy();
  await h.stop();
  expect(left).toEqual([]);
});

const insert = (m: EntityManager) => m.query("INSERT INTO items (name) VALUES ('capped')");
const checked = () =>
  onTheWire.seen.map((sql) =>
    sql.startsWith(`SELECT trx_prepared_count_below('${gidPrefix(SERVICE)}', ${MAX})`),
  );

/** A branch its caller would enlist: prepared, nothing asked of the coordinator. */
async function prepare(): Promise<{ transactionId: string; gid: string }> {
  const transactionId = randomUUID();
  let gid = '';
  await participant.runBranch(transactionId, insert, {
    enlistedByCaller: true,
    onPrepared: (g) => (gid = g),
  });
  return { transactionId, gid };
}

const refusedByTheCap = () => expect(prepare()).rejects.toMatchObject({ name: 'TooManyPreparedError' });

it('when branches pile up, then the prepares below half the cap carry no check, those from half on do, and the one past the cap is refused before preparing; once they are finished the next is served', async () => {
  onTheWire.seen.length = 0;
  const held = [];
  held.push(await prepare()); // no reading yet: checked (0 prepared)
  held.push(await prepare()); // estimate 1, under half of 4: not checked
  held.push(await prepare()); // estimate 2: checked (2 prepared)
  held.push(await prepare()); // checked (3 prepared)
  await refusedByTheCap(); // checked: 4 prepared, the cap
  expect(checked()).toEqual([true, false, true, true, true]);
  expect(await h.prepared()).toHaveLength(MAX);

  for (const b of held) await participant.abandon(b.transactionId, b.gid);
  expect(await h.prepared()).toEqual([]);
  onTheWire.seen.length = 0;
  // This process finished them itself: its estimate is back at 0, no check needed.
  const next = await prepare();
  expect(checked()).toEqual([false]);
  await participant.abandon(next.transactionId, next.gid);
});

it("when another replica prepared the cap's worth since this process's reading, then within the second a prepare under half the cap goes unchecked (the cap is soft), and once the reading is a second old the check refuses", async () => {
  const others = [];
  for (let i = 0; i < MAX; i++) {
    const transactionId = randomUUID();
    const gid = `${gidPrefix(SERVICE)}${transactionId}:0000000000${i}${i}`;
    await h.sql(
      `BEGIN; INSERT INTO trx_branch (gid, transaction_id) VALUES ('${gid}', '${transactionId}'); PREPARE TRANSACTION '${gid}'`,
    );
    others.push(gid);
  }
  onTheWire.seen.length = 0;
  const unchecked = await prepare();
  expect(checked()).toEqual([false]);
  expect(await h.prepared()).toHaveLength(MAX + 1);

  now += 1000;
  await refusedByTheCap();
  expect(checked()).toEqual([false, true]);
  expect(await h.prepared()).toHaveLength(MAX + 1);

  await participant.abandon(unchecked.transactionId, unchecked.gid);
  for (const gid of others) await h.sql(`ROLLBACK PREPARED '${gid}'`);
  // The refusal read the cap: the next prepare checks again, sees none, and is served.
  onTheWire.seen.length = 0;
  const served = await prepare();
  expect(checked()).toEqual([true]);
  await participant.abandon(served.transactionId, served.gid);
});

it('the check older replicas send during a rolling upgrade still answers, and still refuses at the cap', async () => {
  await expect(h.sql(`SELECT trx_assert_prepared_below('${gidPrefix(SERVICE)}', 1)`)).resolves.toHaveLength(
    1,
  );
  const held = await prepare();
  await expect(h.sql(`SELECT trx_assert_prepared_below('${gidPrefix(SERVICE)}', 1)`)).rejects.toMatchObject({
    code: 'TRX01',
  });
  await participant.abandon(held.transactionId, held.gid);
});
