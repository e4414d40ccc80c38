import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { Registry, type Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { deadLetterName, decisionQueue, makeGid, routingKeys, type DecisionEvent } from '@trx/protocol';
import {
  createBrokerUser,
  managementApi,
  peekQueue,
  testInfra,
  waitFor,
  type TestBrokerUser,
} from '@trx/test-support';
import type { Participant } from '@trx/participant';
import { ParticipantHarness, SERVICE } from './participant-harness';

/**
 * Only the coordinator's broker user may decide: a decision published by anyone else, or one
 * that does not name this transaction's and this service's branches, changes nothing and is
 * dead-lettered. In these tests the coordinator publishes as `guest` (the harness configures
 * the participant to expect it); Mallory and Olivia are throw-away broker users.
 */
let h: ParticipantHarness;
let participant: Participant;
let registry: Registry;
/** Any permissions, topic permissions included: a broker whose decision.* guard is missing. */
let mallory: TestBrokerUser;
/** May publish order.* only, as the order-service's user may. */
let olivia: TestBrokerUser;

beforeAll(async () => {
  h = await ParticipantHarness.start();
  registry = new Registry();
  participant = await h.startParticipant({ metricsRegistry: registry });
  mallory = await createBrokerUser({
    prefix: 'trx-mallory',
    topic: { exchange: h.exchange, write: '.*', read: '.*' },
  });
  olivia = await createBrokerUser({
    prefix: 'trx-olivia',
    topic: { exchange: h.exchange, write: '^order\\.', read: '.*' },
  });
});

afterAll(async () => {
  await mallory?.remove();
  await olivia?.remove();
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const insertItem = (txId: string) => (m: EntityManager) =>
  m.query('INSERT INTO items (transaction_id, name) VALUES ($1, $2)', [txId, 'forgery target']);

/** A transaction with one prepared branch of the participant; its gid. */
async function preparedBranch(): Promise<{ txId: string; branchId: string; gid: string }> {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  await participant.runBranch(tx.id, insertItem(tx.id));
  const [branch] = (await h.coordinator.get(tx.id)).branches;
  return { txId: tx.id, branchId: branch!.id, gid: branch!.gid };
}

function decision(
  txId: string,
  branches: { branchId: string; gid: string }[],
  over: Partial<DecisionEvent> = {},
) {
  return {
    messageId: randomUUID(),
    type: 'decision',
    occurredAt: new Date().toISOString(),
    transactionId: txId,
    service: SERVICE,
    decision: 'rollback',
    branches,
    ...over,
  } satisfies DecisionEvent;
}

/** Publishes with a plain amqplib connection of `amqpUrl`; resolves with the channel error, if any. */
async function publishAs(amqpUrl: string, body: DecisionEvent, userId?: string): Promise<Error | undefined> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    let refused: Error | undefined;
    channel.on('error', (err: Error) => (refused = err));
    const content = Buffer.from(JSON.stringify(body));
    channel.publish(h.exchange, routingKeys.decision(SERVICE), content, {
      messageId: body.messageId,
      persistent: true,
      ...(userId ? { userId } : {}),
    });
    await channel.waitForConfirms().catch(() => undefined);
    return refused;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function deadLettered(messageId: string): Promise<boolean> {
  return (await peekQueue(deadLetterName(h.exchange), 1000)).some(
    (m) => m.properties.message_id === messageId,
  );
}

async function rejections(): Promise<Record<string, number>> {
  const counter = registry.getSingleMetric('trx_decisions_rejected_total') as Counter;
  const { values } = await counter.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
}

async function itemsOf(txId: string) {
  return h.sql('SELECT name FROM items WHERE transaction_id = $1', [txId]);
}

async function committed(txId: string) {
  await h.coordinator.commit(txId);
  await waitFor(async () => (await h.coordinator.get(txId)).status === 'committed', {
    description: `transaction ${txId} committed`,
  });
  await waitFor(async () => (await itemsOf(txId)).length === 1, { description: `the row of ${txId}` });
}

describe('a decision forged with another user’s broker credentials', () => {
  it('when it rolls back a prepared branch, then the branch stays prepared, the forgery is dead-lettered and counted, and the real decision still commits it', async () => {
    const { txId, branchId, gid } = await preparedBranch();
    const before = await rejections();
    const noUserId = decision(txId, [{ branchId, gid }]);
    const ownUserId = decision(txId, [{ branchId, gid }]);
    const posing = decision(txId, [{ branchId, gid }]);
    const denied = decision(txId, [{ branchId, gid }]);

    expect(await publishAs(mallory.amqpUrl, noUserId)).toBeUndefined();
    expect(await publishAs(mallory.amqpUrl, ownUserId, mallory.username)).toBeUndefined();
    // RabbitMQ refuses the two that would pass: posing as the coordinator, and decision.* without the topic permission.
    const coordinatorUser = new URL(testInfra().amqpUrl).username;
    expect(await publishAs(mallory.amqpUrl, posing, coordinatorUser)).toMatchObject({
      message: expect.stringMatching(/PRECONDITION_FAILED.*user_id/),
    });
    expect(await publishAs(olivia.amqpUrl, denied)).toMatchObject({
      message: expect.stringMatching(/ACCESS_REFUSED.*topic 'decision\./),
    });

    await waitFor(async () => (await deadLettered(noUserId.messageId)) && deadLettered(ownUserId.messageId), {
      description: 'both forgeries that reached the queue are dead-lettered',
    });
    expect(await deadLettered(posing.messageId)).toBe(false);
    expect(await deadLettered(denied.messageId)).toBe(false);
    expect(await h.prepared()).toContain(gid);
    expect(await itemsOf(txId)).toEqual([]);
    expect((await h.coordinator.get(txId)).status).toBe('active');
    const after = await rejections();
    expect((after['no-user-id'] ?? 0) - (before['no-user-id'] ?? 0)).toBe(1);
    expect((after['wrong-user'] ?? 0) - (before['wrong-user'] ?? 0)).toBe(1);
    const logged = h.tap.matching('decision rejected', { messageId: ownUserId.messageId });
    expect(logged).toEqual([
      expect.objectContaining({
        routingKey: `decision.${SERVICE}`,
        userId: mallory.username,
        reason: 'wrong-user',
      }),
    ]);
    expect(logged[0]).not.toHaveProperty('body');
    expect(logged[0]).not.toHaveProperty('branches');

    await committed(txId);
    expect(await h.prepared()).not.toContain(gid);
  });
});

describe('a decision published by the coordinator’s user', () => {
  it('when its body is malformed, then it is dead-lettered and nothing changes', async () => {
    const { txId, branchId, gid } = await preparedBranch();
    const malformed = { ...decision(txId, [{ branchId, gid }]), decision: 'abort' };
    await h.broker.publish([
      { routingKey: routingKeys.decision(SERVICE), messageId: malformed.messageId, body: malformed },
    ]);
    await waitFor(() => deadLettered(malformed.messageId), {
      description: 'the malformed decision dead-lettered',
    });
    expect(
      h.tap.matching('decision rejected', { messageId: malformed.messageId, reason: 'malformed' }),
    ).toHaveLength(1);
    expect(await h.prepared()).toContain(gid);
    await committed(txId);
  });

  it('when a gid names another transaction or another service, or the decision another service, then it is dead-lettered and no branch changes', async () => {
    const mine = await preparedBranch();
    const other = await preparedBranch();
    const foreignTransaction = decision(mine.txId, [mine, other]);
    const foreignService = decision(mine.txId, [
      { branchId: 'b-1', gid: makeGid('account-service', mine.txId, 'k1') },
    ]);
    const otherServiceDecision = decision(mine.txId, [mine], { service: 'account-service' });
    const sent = [foreignTransaction, foreignService, otherServiceDecision];
    await h.broker.publish(
      sent.map((body) => ({ routingKey: routingKeys.decision(SERVICE), messageId: body.messageId, body })),
    );
    for (const body of sent) {
      await waitFor(() => deadLettered(body.messageId), { description: `${body.messageId} dead-lettered` });
    }
    const reasons = sent.map(
      (body) => h.tap.matching('decision rejected', { messageId: body.messageId })[0]?.reason,
    );
    expect(reasons).toEqual(['foreign-gid', 'foreign-gid', 'wrong-service']);
    expect(await h.prepared()).toEqual(expect.arrayContaining([mine.gid, other.gid]));
    await committed(mine.txId);
    await committed(other.txId);
  });
});

describe('an upgrade from a trx whose coordinator set no user_id', () => {
  it('when the old decision is still in the queue, then it is dead-lettered and recovery finishes the branch as the coordinator decided', async () => {
    const { txId, branchId, gid } = await preparedBranch();
    await participant.stop(); // the upgrade: nobody consumes while the coordinator decides
    await h.coordinator.commit(txId);
    const queue = decisionQueue(SERVICE, h.exchange);
    await waitFor(async () => (await peekQueue(queue)).length > 0, { description: 'the decision queued' });
    await managementApi('DELETE', `/queues/%2F/${encodeURIComponent(queue)}/contents`);
    // What the old coordinator published: the same decision, from its broker user, without user_id.
    const old = decision(txId, [{ branchId, gid }], { decision: 'commit' });
    expect(await publishAs(testInfra().amqpUrl, old)).toBeUndefined();

    registry = new Registry();
    h.clockOffsetMs = 60_000; // old enough for recovery
    try {
      participant = await h.startParticipant({ metricsRegistry: registry }); // start runs a recovery round
    } finally {
      h.clockOffsetMs = 0;
    }
    await waitFor(() => deadLettered(old.messageId), { description: 'the old decision dead-lettered' });
    expect(
      h.tap.matching('decision rejected', { messageId: old.messageId, reason: 'no-user-id' }),
    ).toHaveLength(1);
    expect(await h.prepared()).not.toContain(gid);
    expect(await itemsOf(txId)).toEqual([{ name: 'forgery target' }]);
    await waitFor(async () => (await h.coordinator.get(txId)).status === 'committed', {
      description: 'the acknowledgement recorded',
    });
  });
});
