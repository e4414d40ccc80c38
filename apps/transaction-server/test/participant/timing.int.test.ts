import { waitFor } from '@trx/test-support';
import type { EntityManager } from 'typeorm';
import type { Participant } from '@trx/participant';
import { ParticipantHarness } from './participant-harness';

/**
 * What one branch costs on this machine, printed for the notes (no assertion on time: the
 * machine is shared). runBranch = BEGIN, branch row, one INSERT, PREPARE, yes-vote recorded;
 * decided = commit() until the coordinator has every outcome (COMMIT PREPARED done).
 */
let h: ParticipantHarness;
let participant: Participant;
const ROUNDS = 30;

beforeAll(async () => {
  h = await ParticipantHarness.start();
  participant = await h.startParticipant();
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const insert = (name: string) => (m: EntityManager) =>
  m.query('INSERT INTO items (name) VALUES ($1)', [name]);

it('measures runBranch + commit against runLocal', async () => {
  const branch: number[] = [];
  const decided: number[] = [];
  const local: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const tx = await h.coordinator.begin({ initiator: 'timing' });
    const t0 = performance.now();
    await participant.runBranch(tx.id, insert('branch'));
    const t1 = performance.now();
    await h.coordinator.commit(tx.id);
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed', { intervalMs: 2 });
    const t2 = performance.now();
    await participant.runLocal(insert('local'));
    const t3 = performance.now();
    branch.push(t1 - t0);
    decided.push(t2 - t1);
    local.push(t3 - t2);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
  console.log(
    `timing over ${ROUNDS} rounds (median ms): runBranch ${median(branch)}, ` +
      `commit → all outcomes recorded ${median(decided)}, runLocal ${median(local)}`,
  );
  const [{ count }] = (await h.sql('SELECT count(*)::int AS count FROM items')) as [{ count: number }];
  expect(count).toBe(2 * ROUNDS);
});
