import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { makeGid, routingKeys, type DecisionEvent, type RegisterBranchRequest } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import type { Participant } from '@trx/participant';
import { ParticipantHarness, SERVICE } from './participant-harness';

let h: ParticipantHarness;
let participant: Participant;

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

const insertItem = (txId: string, name: string) => (m: import('typeorm').EntityManager) =>
  m.query('INSERT INTO items (transaction_id, name) VALUES ($1, $2) RETURNING id', [txId, name]);

async function itemsOf(txId: string) {
  return h.sql('SELECT name FROM items WHERE transaction_id = $1', [txId]);
}

async function branchRowsOf(txId: string) {
  return h.sql('SELECT gid FROM trx_branch WHERE transaction_id = $1', [txId]);
}

async function ended(txId: string, status: 'committed' | 'rolled-back') {
  return waitFor(async () => (await h.coordinator.get(txId)).status === status, {
    description: `transaction ${txId} ${status}`,
  });
}

describe('a branch', () => {
  it('when the decision is commit, then its row is visible, its branch row kept, nothing left prepared', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await participant.runBranch(tx.id, insertItem(tx.id, 'committed'));
    const [gid] = (await h.prepared()).filter((g) => g.includes(tx.id));
    expect(gid).toBeDefined();
    expect(await itemsOf(tx.id)).toEqual([]); // invisible until the decision

    await h.coordinator.commit(tx.id);
    await ended(tx.id, 'committed');
    expect(await itemsOf(tx.id)).toEqual([{ name: 'committed' }]);
    expect(await branchRowsOf(tx.id)).toEqual([{ gid }]);
    expect(await h.prepared()).toEqual([]);
    const view = await h.coordinator.get(tx.id);
    expect(view.branches.map((b) => b.status)).toEqual(['committed']);
  });

  it('when the decision is rollback, then nothing of it remains', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await participant.runBranch(tx.id, insertItem(tx.id, 'rolled back'));
    await h.coordinator.rollback(tx.id, 'test');
    await ended(tx.id, 'rolled-back');
    expect(await itemsOf(tx.id)).toEqual([]);
    expect(await branchRowsOf(tx.id)).toEqual([]);
    expect(await h.prepared()).toEqual([]);
    expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['rolled-back']);
  });

  it('when the work fails, then it rolls back locally and votes no', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const failing = participant.runBranch(tx.id, async (m) => {
      await insertItem(tx.id, 'never')(m);
      throw new Error('business says no');
    });
    await expect(failing).rejects.toThrow('business says no');
    expect(await h.prepared()).toEqual([]);
    const view = await h.coordinator.get(tx.id);
    expect(view.branches.map((b) => [b.status, b.reason])).toEqual([['failed', 'business says no']]);
    await h.coordinator.rollback(tx.id);
    await ended(tx.id, 'rolled-back');
    expect(await itemsOf(tx.id)).toEqual([]);
  });

  it('when the decision is delivered three times at once, then the branch commits once', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await participant.runBranch(tx.id, insertItem(tx.id, 'once'));
    const committed = await h.coordinator.commit(tx.id);
    const branch = committed.branches[0]!;
    // The coordinator publishes the decision; two more copies go out by hand right behind it.
    const decision: DecisionEvent = {
      messageId: randomUUID(),
      type: 'decision',
      occurredAt: new Date().toISOString(),
      transactionId: tx.id,
      service: SERVICE,
      decision: 'commit',
      branches: [{ branchId: branch.id, gid: branch.gid }],
    };
    const copy = () => ({
      routingKey: routingKeys.decision(SERVICE),
      messageId: randomUUID(),
      body: decision,
    });
    await h.broker.publish([copy(), copy()]);
    await waitFor(() => h.tap.matching('branch finished', { gid: branch.gid }).length === 3, {
      description: 'three deliveries handled',
    });
    await ended(tx.id, 'committed');
    expect(await itemsOf(tx.id)).toEqual([{ name: 'once' }]);
    expect(h.tap.matching('branch finished', { gid: branch.gid }).map((l) => l.outcome)).toEqual([
      'committed',
      'committed',
      'committed',
    ]);
    expect(h.tap.lines.filter((l) => String(l.msg).startsWith('ATOMICITY ALARM'))).toEqual([]);
  });

  it('when a decision message is unusable, then it is dead-lettered, not retried forever', async () => {
    const messageId = randomUUID();
    const body = { type: 'decision', service: SERVICE, decision: 'maybe', branches: 'all' };
    await h.broker.publish([{ routingKey: routingKeys.decision(SERVICE), messageId, body }]);
    await waitFor(() => h.tap.matching('decision rejected', { messageId, reason: 'malformed' }).length === 1);
  });

  it('when it arrives after its transaction was decided, then it is refused and rolled back', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await h.coordinator.rollback(tx.id, 'decided before the branch came');
    const late = participant.runBranch(tx.id, insertItem(tx.id, 'late'));
    await expect(late).rejects.toMatchObject({ name: 'BranchRefusedError', code: 'transaction-decided' });
    expect(await h.prepared()).toEqual([]);
    expect(await itemsOf(tx.id)).toEqual([]);
    expect(await branchRowsOf(tx.id)).toEqual([]);
  });

  it('when the transaction id is not a uuid, then nothing runs', async () => {
    const work = jest.fn();
    await expect(participant.runBranch("1'; DROP TABLE items; --", work)).rejects.toMatchObject({
      name: 'InvalidTransactionIdError',
    });
    expect(work).not.toHaveBeenCalled();
  });
});

describe('a branch registered by the participant itself', () => {
  it('when the caller named its initiator, then the registration carries it', async () => {
    const sent: RegisterBranchRequest[] = [];
    const replica = await h.startParticipant({
      coordinator: {
        ...h.coordinator,
        registerBranch: (id, request) => {
          sent.push(request);
          // The coordinator of this tree may predate the field (its schema is strict).
          const { initiator: _initiator, ...known } = request;
          return h.coordinator.registerBranch(id, known);
        },
      },
    });
    try {
      const tx = await h.coordinator.begin({ initiator: 'test' });
      await replica.runBranch(tx.id, insertItem(tx.id, 'initiated'), { initiator: 'order-service' });
      expect(sent).toEqual([expect.objectContaining({ initiator: 'order-service', vote: 'yes' })]);
      await h.coordinator.rollback(tx.id);
      await ended(tx.id, 'rolled-back');
    } finally {
      await replica.stop();
    }
  });
});

describe('recovery', () => {
  it('when a prepared branch belongs to a transaction the coordinator never heard of, then it is rolled back', async () => {
    const txId = randomUUID();
    const gid = makeGid(SERVICE, txId, 'orphan1');
    await prepareByHand(gid, txId);
    expect(await participant.recovery.runOnce()).toEqual({ committed: 0, rolledBack: 0, pending: 0 }); // too young
    expect(await h.prepared()).toEqual([gid]);

    h.clockOffsetMs = 60_000;
    try {
      expect(await participant.recovery.runOnce()).toEqual({ committed: 0, rolledBack: 1, pending: 0 });
    } finally {
      h.clockOffsetMs = 0;
    }
    expect(await h.prepared()).toEqual([]);
    expect(await itemsOf(txId)).toEqual([]);
  });

  it('when a commit decision was lost, then the replica that starts next commits the branch', async () => {
    const first = await h.startParticipant();
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await first.runBranch(tx.id, insertItem(tx.id, 'recovered'));
    await participant.stop();
    await first.stop(); // nobody consumes: the decision waits in the queue, and is then lost
    await h.coordinator.commit(tx.id);
    await purgeDecisionQueue();
    expect(await h.prepared()).toHaveLength(1);

    h.clockOffsetMs = 60_000;
    try {
      participant = await h.startParticipant(); // start runs a recovery round
    } finally {
      h.clockOffsetMs = 0;
    }
    expect(await h.prepared()).toEqual([]);
    expect(await itemsOf(tx.id)).toEqual([{ name: 'recovered' }]);
    await ended(tx.id, 'committed');
  });

  it('when a branch is still undecided, then recovery leaves it prepared', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
    await participant.runBranch(tx.id, insertItem(tx.id, 'pending'));
    h.clockOffsetMs = 60_000;
    try {
      expect(await participant.recovery.runOnce()).toEqual({ committed: 0, rolledBack: 0, pending: 1 });
    } finally {
      h.clockOffsetMs = 0;
    }
    await h.coordinator.rollback(tx.id);
    await ended(tx.id, 'rolled-back');
    expect(await h.prepared()).toEqual([]);
  });
});

async function prepareByHand(gid: string, txId: string): Promise<void> {
  const client = new Client({ connectionString: h.dbUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO items (transaction_id, name) VALUES ($1, $2)', [txId, 'orphan']);
    await client.query('INSERT INTO trx_branch (gid, transaction_id) VALUES ($1, $2)', [gid, txId]);
    await client.query(`PREPARE TRANSACTION '${gid}'`);
  } finally {
    await client.end();
  }
}

async function purgeDecisionQueue(): Promise<void> {
  const amqp = await import('amqplib');
  const { testInfra } = await import('@trx/test-support');
  const connection = await amqp.connect(testInfra().amqpUrl);
  try {
    const channel = await connection.createChannel();
    await waitFor(async () => (await channel.checkQueue(participant.decisionQueue)).messageCount > 0, {
      description: 'the decision reached the queue',
    });
    await channel.purgeQueue(participant.decisionQueue);
    await channel.close();
  } finally {
    await connection.close();
  }
}
