import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { routingKeys, type DecisionEvent } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import type { Participant } from '@trx/participant';
import { StatementGate } from './gated-pg';
import {
  ParticipantHarness,
  SERVICE,
  countingCoordinator,
  type CoordinatorCalls,
} from './participant-harness';

/** Acknowledgements in batches, and the initiator finishing its own branch. */
let h: ParticipantHarness;
let participant: Participant;
let calls: CoordinatorCalls;
let gated: DataSource;
const gate = new StatementGate(/^COMMIT PREPARED/);

beforeAll(async () => {
  h = await ParticipantHarness.start();
  gated = await gate.dataSource(h.dbUrl).initialize();
  const counting = countingCoordinator(h.coordinator);
  calls = counting.calls;
  participant = await h.startParticipant({ dataSource: gated, coordinator: counting.coordinator });
});

afterAll(async () => {
  if (!h) return;
  gate.open();
  const left = await h.prepared();
  await participant.stop();
  await gated.destroy();
  await h.stop();
  expect(left).toEqual([]);
});

const insertItem = (txId: string) => (m: EntityManager) =>
  m.query('INSERT INTO items (transaction_id, name) VALUES ($1, $2)', [txId, 'item']);
const itemCount = async (txId: string) =>
  (await h.sql('SELECT 1 FROM items WHERE transaction_id = $1', [txId])).length;
const committed = (txId: string) =>
  waitFor(async () => (await h.coordinator.get(txId)).status === 'committed', {
    description: `transaction ${txId} committed`,
  });

async function ownBranch(txId: string): Promise<string> {
  let gid: string | undefined;
  await participant.runBranch(txId, insertItem(txId), {
    enlistedByCaller: true,
    onPrepared: (g) => (gid = g),
  });
  return gid!;
}

it('when many decisions arrive together, then their acknowledgements take fewer calls than decisions and every transaction ends committed', async () => {
  const N = 40;
  const txs = await Promise.all(Array.from({ length: N }, () => h.coordinator.begin({ initiator: 'test' })));
  await Promise.all(txs.map((tx) => participant.runBranch(tx.id, insertItem(tx.id))));
  const callsBefore = calls.recordOutcomes.length;
  await Promise.all(txs.map((tx) => h.coordinator.commit(tx.id)));
  for (const tx of txs) await committed(tx.id);

  const sizes = calls.recordOutcomes.slice(callsBefore);
  expect(sizes.length).toBeLessThan(N);
  expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(N);
  expect(calls.recordOutcome).toBe(0); // no acknowledgement one by one
  for (const tx of txs) {
    expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['committed']);
    expect(await itemCount(tx.id)).toBe(1);
  }
  expect(await h.prepared()).toEqual([]);
});

it('when the initiator finishes its own branch, then it commits once and is acknowledged', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const gid = await ownBranch(tx.id);
  await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE, gid, finishedByCaller: true }] });

  expect(await participant.finish(tx.id, gid, 'commit')).toEqual({ outcome: 'committed', changed: true });
  expect(await participant.finish(tx.id, gid, 'commit')).toEqual({ outcome: 'committed', changed: false });
  await committed(tx.id);
  expect(calls.acknowledged).toContain(gid);
  expect((await h.coordinator.get(tx.id)).branches.map((b) => [b.gid, b.status])).toEqual([
    [gid, 'committed'],
  ]);
  expect(await itemCount(tx.id)).toBe(1);
  expect(await h.prepared()).toEqual([]);
  expect(h.tap.lines.filter((l) => String(l.msg).startsWith('ATOMICITY ALARM'))).toEqual([]);
});

it('when a decision for the own branch is re-published while the initiator finishes it, then the consumer waits for that finish instead of failing', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const gid = await ownBranch(tx.id);
  const view = await h.coordinator.commit(tx.id, {
    branches: [{ service: SERVICE, gid, finishedByCaller: true }],
  });
  const branchId = view.branches.find((b) => b.gid === gid)!.id;

  gate.close(); // the initiator's COMMIT PREPARED is held on its way to Postgres
  const finishing = participant.finish(tx.id, gid, 'commit');
  await waitFor(() => gate.held === 1, { description: "the initiator's COMMIT PREPARED in flight" });
  await h.broker.publish([
    {
      routingKey: routingKeys.decision(SERVICE),
      messageId: randomUUID(),
      body: decision(tx.id, gid, branchId),
    },
  ]);
  await waitFor(
    () => h.tap.matching('waiting for the finish of this branch in progress', { gid }).length === 1,
    {
      description: 'the decision consumer waiting for the finish in progress',
    },
  );
  expect(gate.held).toBe(1); // the consumer sent no COMMIT PREPARED of its own
  gate.open();

  expect(await finishing).toEqual({ outcome: 'committed', changed: true });
  await waitFor(() => h.tap.matching('branch finished', { gid }).length === 1);
  expect(h.tap.matching('branch finished', { gid })[0]).toMatchObject({
    outcome: 'committed',
    changed: false,
  });
  expect(h.tap.matching('could not finish branch; will retry', { gid })).toEqual([]);
  expect(gate.seen.filter((s) => s.includes(gid))).toHaveLength(1);
  await committed(tx.id);
  expect(await itemCount(tx.id)).toBe(1);
});

function decision(transactionId: string, gid: string, branchId: string): DecisionEvent {
  return {
    messageId: randomUUID(),
    type: 'decision',
    occurredAt: new Date().toISOString(),
    transactionId,
    service: SERVICE,
    decision: 'commit',
    branches: [{ branchId, gid }],
  };
}
