import type { EntityManager } from 'typeorm';
import { waitFor } from '@trx/test-support';
import type { Participant } from '@trx/participant';
import {
  ParticipantHarness,
  SERVICE,
  countingCoordinator,
  type CoordinatorCalls,
} from './participant-harness';

/** Branches the initiator enlists with its commit or rollback (x-transaction-enlist: initiator). */
let h: ParticipantHarness;
let participant: Participant;
let calls: CoordinatorCalls;

beforeAll(async () => {
  h = await ParticipantHarness.start();
  const counting = countingCoordinator(h.coordinator);
  calls = counting.calls;
  participant = await h.startParticipant({ coordinator: counting.coordinator });
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const insertItem = (txId: string, name: string) => (m: EntityManager) =>
  m.query('INSERT INTO items (transaction_id, name) VALUES ($1, $2)', [txId, name]);
const itemsOf = (txId: string) => h.sql('SELECT name FROM items WHERE transaction_id = $1', [txId]);

/** Runs an enlisted branch; resolves with the gid the caller would get in x-transaction-branch. */
async function enlistedBranch(txId: string, work: (m: EntityManager) => Promise<unknown>): Promise<string> {
  let gid: string | undefined;
  await participant.runBranch(txId, work, { enlistedByCaller: true, onPrepared: (g) => (gid = g) });
  return gid!;
}

describe('a branch its caller enlists', () => {
  it('when it is prepared, then the coordinator has not heard of it, and it commits when the initiator commits with it enlisted', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const registersBefore = calls.registerBranch;
    const gid = await enlistedBranch(tx.id, insertItem(tx.id, 'enlisted'));

    expect(gid.startsWith(`trx:${SERVICE}:${tx.id}:`)).toBe(true);
    expect(await h.prepared()).toContain(gid);
    expect(calls.registerBranch).toBe(registersBefore);
    expect((await h.coordinator.get(tx.id)).branches).toEqual([]);

    await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE, gid }] });
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed', {
      description: 'the transaction committed',
    });
    const view = await h.coordinator.get(tx.id);
    expect(view.branches.map((b) => [b.gid, b.status])).toEqual([[gid, 'committed']]);
    expect(await itemsOf(tx.id)).toEqual([{ name: 'enlisted' }]);
    expect(await h.sql('SELECT gid FROM trx_branch WHERE transaction_id = $1', [tx.id])).toEqual([{ gid }]);
    expect(await h.prepared()).toEqual([]);
  });

  it('when the initiator rolls back with it enlisted, then nothing of it remains', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const gid = await enlistedBranch(tx.id, insertItem(tx.id, 'rolled back'));
    await h.coordinator.rollback(tx.id, 'the initiator gave up', [{ service: SERVICE, gid }]);
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'rolled-back');
    expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['rolled-back']);
    expect(await itemsOf(tx.id)).toEqual([]);
    expect(await h.prepared()).toEqual([]);
  });

  it('when its work fails, then it rolls back locally and the coordinator hears nothing', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const before = structuredClone(calls);
    const onPrepared = jest.fn();
    const failing = participant.runBranch(
      tx.id,
      async (m) => {
        await insertItem(tx.id, 'never')(m);
        throw new Error('business says no');
      },
      { enlistedByCaller: true, onPrepared },
    );
    await expect(failing).rejects.toThrow('business says no');
    expect(onPrepared).not.toHaveBeenCalled();
    expect(calls).toEqual(before);
    expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
    expect(await h.prepared()).toEqual([]);
    expect(await itemsOf(tx.id)).toEqual([]);
    await h.coordinator.rollback(tx.id, 'test');
  });

  it('when the initiator never enlists it, then recovery leaves it while the transaction runs and rolls it back once it ended', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
    const gid = await enlistedBranch(tx.id, insertItem(tx.id, 'forgotten'));
    h.clockOffsetMs = 60_000;
    try {
      expect(await participant.recovery.runOnce()).toEqual({ committed: 0, rolledBack: 0, pending: 1 });
      await h.coordinator.commit(tx.id); // decided without the branch: it must not commit
      await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
      expect(await participant.recovery.runOnce()).toEqual({ committed: 0, rolledBack: 1, pending: 0 });
    } finally {
      h.clockOffsetMs = 0;
    }
    expect(await h.prepared()).not.toContain(gid);
    expect(await itemsOf(tx.id)).toEqual([]);
    expect(await h.sql('SELECT gid FROM trx_branch WHERE gid = $1', [gid])).toEqual([]);
    expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  });
});
