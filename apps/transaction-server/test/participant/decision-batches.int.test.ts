import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Registry, type Counter } from 'prom-client';
import { TransactionNotFoundError } from '@trx/coordinator-client';
import {
  deadLetterName,
  makeGid,
  routingKeys,
  uuidv7,
  type CoordinatorApi,
  type DecisionBatchEvent,
  type DecisionEntry,
  type DecisionEvent,
  type ResolveRequest,
} from '@trx/protocol';
import { peekQueue, waitFor } from '@trx/test-support';
import type { ConsumeResult, Participant, ParticipantBroker } from '@trx/participant';
import { ParticipantHarness, SERVICE, unknownTransaction } from './participant-harness';

/**
 * Protocol v2: the coordinator publishes one message per service per round carrying many
 * transactions' decisions. Branches here are prepared by hand, unknown to the coordinator,
 * so the only decisions that reach them are the ones the tests publish (as the coordinator's
 * broker user, `guest` in the harness); the acknowledgements the participant then sends are
 * refused by the coordinator, which changes nothing.
 */
let h: ParticipantHarness;
let participant: Participant;
let registry: Registry;
/** What the participant's handler answered the broker, by message id. */
const verdicts = new Map<string, ConsumeResult[]>();

beforeAll(async () => {
  h = await ParticipantHarness.start();
  registry = new Registry();
  participant = await h.startParticipant({ broker: recording(h), metricsRegistry: registry });
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

/** The harness's broker, remembering the handler's verdict on every delivery. */
function recording(harness: ParticipantHarness): ParticipantBroker {
  const { broker } = harness;
  return {
    declareDecisionQueue: (service) => broker.declareDecisionQueue(service),
    deadLetter: (messages) => broker.deadLetter(messages),
    isConnected: () => broker.isConnected(),
    consume: (queue, handler, options) =>
      broker.consume(
        queue,
        async (message) => {
          const verdict = await handler(message);
          const id = message.messageId ?? '';
          verdicts.set(id, [...(verdicts.get(id) ?? []), verdict]);
          return verdict;
        },
        options,
      ),
  };
}

interface Prepared {
  txId: string;
  branchId: string;
  gid: string;
}

/** A prepared branch of a transaction the coordinator never heard of, with an item row. */
async function prepareByHand(txId = uuidv7(), key = 'k1'): Promise<Prepared> {
  const gid = makeGid(SERVICE, txId, key);
  const client = new Client({ connectionString: h.dbUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO items (transaction_id, name) VALUES ($1, $2)', [txId, key]);
    await client.query('INSERT INTO trx_branch (gid, transaction_id) VALUES ($1, $2)', [gid, txId]);
    await client.query(`PREPARE TRANSACTION '${gid}'`);
  } finally {
    await client.end();
  }
  return { txId, branchId: `b-${key}`, gid };
}

function entry(decision: DecisionEntry['decision'], ...branches: Prepared[]): DecisionEntry {
  return {
    transactionId: branches[0]!.txId,
    decision,
    branches: branches.map(({ branchId, gid }) => ({ branchId, gid })),
  };
}

function batch(decisions: unknown[]): DecisionBatchEvent {
  return {
    messageId: randomUUID(),
    type: 'decisions',
    occurredAt: new Date().toISOString(),
    service: SERVICE,
    decisions: decisions as DecisionEntry[],
  };
}

async function publish(body: DecisionBatchEvent | DecisionEvent): Promise<void> {
  await h.broker.publish([{ routingKey: routingKeys.decision(SERVICE), messageId: body.messageId, body }]);
}

async function handled(messageId: string): Promise<ConsumeResult[]> {
  await waitFor(() => (verdicts.get(messageId)?.length ?? 0) > 0, { description: `${messageId} handled` });
  return verdicts.get(messageId)!;
}

async function itemsOf(txId: string): Promise<unknown[]> {
  return h.sql('SELECT name FROM items WHERE transaction_id = $1', [txId]);
}

/** The dead-letter queue's messages, by whether they came from `messageId` as a whole or one of its entries. */
async function deadLettersOf(messageId: string) {
  const all = await peekQueue(deadLetterName(h.exchange), 1000);
  return {
    whole: all.filter((m) => m.properties.message_id === messageId),
    entries: all.filter((m) => (m.body as { sourceMessageId?: string }).sourceMessageId === messageId),
  };
}

async function rejections(reason: string): Promise<number> {
  const counter = registry.getSingleMetric('trx_decisions_rejected_total') as Counter;
  const { values } = await counter.get();
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('a decision batch', () => {
  it("when it carries several transactions' decisions, then every branch is finished and the message acked once", async () => {
    const a = await prepareByHand();
    const b1 = await prepareByHand(undefined, 'b1');
    const b2 = await prepareByHand(b1.txId, 'b2');
    const c = await prepareByHand();
    const body = batch([entry('commit', a), entry('commit', b1, b2), entry('rollback', c)]);
    await publish(body);

    expect(await handled(body.messageId)).toEqual(['ack']);
    expect(await h.prepared()).toEqual([]);
    expect(await itemsOf(a.txId)).toEqual([{ name: 'k1' }]);
    expect(await itemsOf(b1.txId)).toEqual(expect.arrayContaining([{ name: 'b1' }, { name: 'b2' }]));
    expect(await itemsOf(c.txId)).toEqual([]);
    for (const { gid } of [a, b1, b2, c]) {
      expect(h.tap.matching('branch finished', { gid })).toEqual([
        expect.objectContaining({ changed: true, redelivered: false }),
      ]);
    }
    expect(verdicts.get(body.messageId)).toEqual(['ack']); // no second delivery meanwhile
  });

  it('when one entry names a branch of another transaction, then the others finish and that entry alone is dead-lettered', async () => {
    const good1 = await prepareByHand();
    const good2 = await prepareByHand();
    const victim = await prepareByHand();
    const poison = { ...entry('commit', victim), transactionId: uuidv7() };
    const before = await rejections('foreign-gid');
    const body = batch([entry('commit', good1), poison, entry('rollback', good2)]);
    await publish(body);

    expect(await handled(body.messageId)).toEqual(['ack']);
    expect(await itemsOf(good1.txId)).toEqual([{ name: 'k1' }]);
    expect(await itemsOf(good2.txId)).toEqual([]);
    expect(await h.prepared()).toEqual([victim.gid]); // the poison entry touched nothing
    const letters = await deadLettersOf(body.messageId);
    expect(letters.whole).toEqual([]);
    expect(letters.entries).toEqual([
      expect.objectContaining({
        body: { reason: 'foreign-gid', service: SERVICE, sourceMessageId: body.messageId, entry: poison },
      }),
    ]);
    expect(letters.entries[0]!.properties.message_id).not.toBe(body.messageId);
    expect(await rejections('foreign-gid')).toBe(before + 1);
    const logged = h.tap.matching('decision entry dead-lettered', { messageId: body.messageId });
    expect(logged).toEqual([expect.objectContaining({ reason: 'foreign-gid' })]);
    expect(logged[0]).not.toHaveProperty('entry');
    expect(logged[0]).not.toHaveProperty('transactionId');

    await participant.abandon(victim.txId, victim.gid);
  });

  it('when an entry is malformed, then it is dead-lettered alone and the good entry finishes', async () => {
    const good = await prepareByHand();
    const body = batch([{ transactionId: uuidv7(), decision: 'maybe', branches: [] }, entry('commit', good)]);
    await publish(body);

    expect(await handled(body.messageId)).toEqual(['ack']);
    expect(await itemsOf(good.txId)).toEqual([{ name: 'k1' }]);
    const letters = await deadLettersOf(body.messageId);
    expect(letters.entries.map((m) => (m.body as { reason: string }).reason)).toEqual(['malformed']);
  });

  it('when it is for another service, then the whole message is dead-lettered and nothing changes', async () => {
    const mine = await prepareByHand();
    const body = { ...batch([entry('commit', mine)]), service: 'account-service' };
    await publish(body);

    expect(await handled(body.messageId)).toEqual(['reject']);
    await waitFor(async () => (await deadLettersOf(body.messageId)).whole.length === 1, {
      description: 'the batch dead-lettered by the queue',
    });
    expect(await h.prepared()).toEqual([mine.gid]);
    await participant.abandon(mine.txId, mine.gid);
  });
});

describe('a single decision as the coordinator published it before protocol v2', () => {
  it('when it is still in the queue after the upgrade, then it finishes its branch', async () => {
    const old = await prepareByHand();
    const body: DecisionEvent = {
      messageId: randomUUID(),
      type: 'decision',
      occurredAt: new Date().toISOString(),
      transactionId: old.txId,
      service: SERVICE,
      decision: 'commit',
      branches: [{ branchId: old.branchId, gid: old.gid }],
    };
    await publish(body);

    expect(await handled(body.messageId)).toEqual(['ack']);
    expect(await h.prepared()).toEqual([]);
    expect(await itemsOf(old.txId)).toEqual([{ name: 'k1' }]);
  });
});

describe('recovery asks the coordinator to resolve the transaction', () => {
  /** A replica whose coordinator answers resolve with `answer`, remembering the requests. */
  async function replicaAnswering(answer: CoordinatorApi['resolve']) {
    const asked: { transactionId: string; request: ResolveRequest }[] = [];
    const coordinator: CoordinatorApi = {
      ...h.coordinator,
      resolve: (transactionId, request) => {
        asked.push({ transactionId, request });
        return answer(transactionId, request);
      },
    };
    const replica = await h.startParticipant({ coordinator });
    return { replica, asked };
  }

  async function recoverAged(replica: Participant) {
    h.clockOffsetMs = 60_000;
    try {
      return await replica.recovery.runOnce();
    } finally {
      h.clockOffsetMs = 0;
    }
  }

  it('when the transaction is unknown but within its deadline, then the answer is active and the branch stays prepared', async () => {
    const young = await prepareByHand(uuidv7());
    const { replica, asked } = await replicaAnswering((id, request) => h.coordinator.resolve(id, request));
    try {
      expect(await recoverAged(replica)).toEqual({ committed: 0, rolledBack: 0, pending: 1 });
      expect(asked).toEqual([{ transactionId: young.txId, request: { gid: young.gid } }]);
      expect(await h.prepared()).toEqual([young.gid]);
    } finally {
      await replica.abandon(young.txId, young.gid);
      await replica.stop();
    }
  });

  it('when the transaction is unknown and past its deadline, then the answer is rolled-back and the branch is rolled back', async () => {
    const old = await prepareByHand(uuidv7(Date.now() - 120_000));
    const { replica } = await replicaAnswering((id, request) => h.coordinator.resolve(id, request));
    try {
      expect(await recoverAged(replica)).toEqual({ committed: 0, rolledBack: 1, pending: 0 });
      expect(await h.prepared()).toEqual([]);
      expect(await itemsOf(old.txId)).toEqual([]);
    } finally {
      await replica.stop();
    }
  });

  it('when the coordinator answers rolled-back (a tombstone), then the branch is rolled back', async () => {
    const tombstoned = await prepareByHand(uuidv7());
    const { replica } = await replicaAnswering(async (id) =>
      unknownTransaction(id, new Date(Date.now() + 3_600_000)),
    );
    try {
      expect(await recoverAged(replica)).toEqual({ committed: 0, rolledBack: 1, pending: 0 });
      expect(await h.prepared()).toEqual([]);
      expect(await itemsOf(tombstoned.txId)).toEqual([]);
    } finally {
      await replica.stop();
    }
  });

  it('when the coordinator answers 404 with another code than transaction-not-found, then the branch stays prepared', async () => {
    const branch = await prepareByHand(uuidv7(Date.now() - 120_000));
    const { replica } = await replicaAnswering(async (id) => {
      throw new TransactionNotFoundError(id, 'not-found', 'no route POST /v1/transactions/x/resolve');
    });
    try {
      expect(await recoverAged(replica)).toEqual({ committed: 0, rolledBack: 0, pending: 1 });
      expect(await h.prepared()).toEqual([branch.gid]);
      expect(h.tap.matching('recovery could not ask the coordinator', { gid: branch.gid })).toHaveLength(1);
    } finally {
      await replica.abandon(branch.txId, branch.gid);
      await replica.stop();
    }
  });

  it('when the coordinator answers 404 transaction-not-found, then the branch is rolled back (presumed abort)', async () => {
    await prepareByHand(uuidv7(Date.now() - 120_000));
    const { replica } = await replicaAnswering(async (id) => {
      throw new TransactionNotFoundError(id);
    });
    try {
      expect(await recoverAged(replica)).toEqual({ committed: 0, rolledBack: 1, pending: 0 });
      expect(await h.prepared()).toEqual([]);
    } finally {
      await replica.stop();
    }
  });
});
