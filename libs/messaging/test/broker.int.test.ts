import * as amqp from 'amqplib';
import { silentLogger } from '@trx/logging';
import { deadLetterName, decisionQueue } from '@trx/protocol';
import {
  deleteAmqpObjects,
  dropAmqpConnections,
  EventCapture,
  testInfra,
  uniqueName,
  waitFor,
} from '@trx/test-support';
import { Broker, type IncomingMessage } from '../src';

const { amqpUrl } = testInfra();
const exchange = uniqueName('trx_msg_test');
const connectionName = uniqueName('broker-test');
const service = uniqueName('svc').replace(/_/g, '-');
let broker: Broker;
const all: IncomingMessage[] = [];

/** Force-closes our connection through the management API, as a broker restart would. */
const dropConnection = () => dropAmqpConnections(connectionName);

beforeAll(async () => {
  broker = await Broker.connect({
    url: amqpUrl,
    exchange,
    logger: silentLogger(),
    connectionName,
    reconnectDelayMs: 50,
  });
  await broker.declareExchange();
  await broker.declareAuditQueue(`${exchange}.all`, 1000);
  await broker.consume(`${exchange}.all`, async (m) => {
    all.push(m);
    return 'ack';
  });
});

afterAll(async () => {
  await broker.close();
  await deleteAmqpObjects(amqpUrl, {
    queues: [
      decisionQueue(service, exchange),
      `${exchange}.unroutable`,
      `${exchange}.audit`,
      `${exchange}.all`,
      deadLetterName(exchange),
    ],
    exchanges: [exchange, `${exchange}.unroutable`, deadLetterName(exchange)],
  });
});

test('a published message is confirmed, persistent, JSON and carries its message_id', async () => {
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, exchange, 'transaction.begun');
  await broker.publish([{ routingKey: 'transaction.begun', messageId: 'm-1', body: { a: 1 } }]);
  const msg = await waitFor(async () => (await ch.get(queue, { noAck: true })) || undefined);
  expect(msg.properties).toMatchObject({
    messageId: 'm-1',
    deliveryMode: 2,
    contentType: 'application/json',
  });
  expect(JSON.parse(msg.content.toString())).toEqual({ a: 1 });
  await waitFor(() => all.some((m) => m.messageId === 'm-1'));
  await conn.close();
});

test('a message no queue is bound for lands in the unroutable queue instead of vanishing', async () => {
  await broker.publish([{ routingKey: 'nobody.listens', messageId: 'm-lost', body: {} }]);
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createChannel();
  // The '#' queue of this test file sees it as well; the unroutable queue only when nothing else matched.
  try {
    await waitFor(() => all.some((m) => m.messageId === 'm-lost'));
    await ch.unbindQueue(`${exchange}.all`, exchange, '#');
    await broker.publish([{ routingKey: 'nobody.listens', messageId: 'm-lost-2', body: {} }]);
    const got = await waitFor(
      async () => (await ch.get(`${exchange}.unroutable`, { noAck: true })) || undefined,
    );
    expect(got.properties.messageId).toBe('m-lost-2');
  } finally {
    await ch.bindQueue(`${exchange}.all`, exchange, '#');
    await conn.close();
  }
});

test('when the exchange was declared without an alternate exchange, an unroutable publish is rejected', async () => {
  const plain = uniqueName('trx_msg_test_plain');
  const setup = await amqp.connect(amqpUrl);
  await (await setup.createChannel()).assertExchange(plain, 'topic', { durable: true });
  await setup.close();
  const capture = await EventCapture.start(amqpUrl, plain, 'only.this');
  const other = await Broker.connect({ url: amqpUrl, exchange: plain, logger: silentLogger() });
  try {
    await other.declareExchange();
    await other.publish([{ routingKey: 'only.this', messageId: 'ok-1', body: {} }]);
    await expect(
      other.publish([{ routingKey: 'nobody', messageId: 'lost-1', body: {} }]),
    ).rejects.toMatchObject({
      name: 'PublishError',
      reason: 'unroutable',
      retryable: true,
    });
    await waitFor(() => capture.messages.length === 1);
  } finally {
    await capture.stop();
    await other.close();
    await deleteAmqpObjects(amqpUrl, {
      queues: [`${plain}.unroutable`, deadLetterName(plain)],
      exchanges: [plain, `${plain}.unroutable`, deadLetterName(plain)],
    });
  }
});

test('a decision queue receives its service decisions; consume acks them, requeues on request', async () => {
  const queue = await broker.declareDecisionQueue(service);
  expect(queue).toBe(decisionQueue(service, exchange));
  const seen: IncomingMessage[] = [];
  const sub = await broker.consume(queue, async (m) => {
    seen.push(m);
    return m.redelivered ? 'ack' : 'requeue';
  });
  await broker.publish([
    { routingKey: `decision.${service}`, messageId: 'd-1', body: { decision: 'commit' } },
  ]);
  await waitFor(() => seen.length >= 2);
  expect(seen.map((m) => [m.messageId, m.redelivered])).toEqual([
    ['d-1', false],
    ['d-1', true],
  ]);
  await sub.cancel();
});

test('after the connection is dropped, the broker reconnects, publishes and consumes again', async () => {
  const queue = await broker.declareDecisionQueue(service);
  const seen: string[] = [];
  const sub = await broker.consume(queue, async (m) => {
    seen.push(String(m.messageId));
    return 'ack';
  });
  await waitFor(() => dropConnection().then(() => true), { description: 'connection dropped' });
  await waitFor(() => !broker.isConnected() || undefined, { timeoutMs: 5000 }).catch(() => undefined);
  await waitFor(() => broker.isConnected(), { description: 'reconnected' });
  await waitFor(
    () =>
      broker
        .publish([{ routingKey: `decision.${service}`, messageId: 'after-reconnect', body: {} }])
        .then(() => true),
    { description: 'publish after reconnect' },
  );
  await waitFor(() => seen.includes('after-reconnect'), { description: 'consumed after reconnect' });
  await sub.cancel();
});

test('an audit queue is bounded and drops the oldest', async () => {
  await broker.declareAuditQueue(`${exchange}.audit`, 2);
  await broker.publish(
    [1, 2, 3].map((i) => ({ routingKey: 'transaction.begun', messageId: `a-${i}`, body: { i } })),
  );
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createChannel();
  const q = await ch.checkQueue(`${exchange}.audit`);
  expect(q.messageCount).toBe(2);
  const first = await ch.get(`${exchange}.audit`, { noAck: true });
  expect(first && first.properties.messageId).toBe('a-2');
  await conn.close();
});

test('deadLetter parks a message in <exchange>.dead-letter, confirmed, persistent, with its message_id and user_id, and not on the exchange', async () => {
  const before = all.length;
  const body = { reason: 'foreign-gid', service, sourceMessageId: 'batch-1', entry: { transactionId: 't' } };
  await broker.deadLetter([{ routingKey: `decision.${service}`, messageId: 'dl-1', body }]);
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    const msg = await waitFor(
      async () => (await ch.get(deadLetterName(exchange), { noAck: true })) || undefined,
    );
    expect(JSON.parse(msg.content.toString())).toEqual(body);
    expect(msg.properties).toMatchObject({ messageId: 'dl-1', deliveryMode: 2, userId: broker.user });
    expect(msg.fields.routingKey).toBe(`decision.${service}`);
  } finally {
    await conn.close();
  }
  expect(all.slice(before).map((m) => m.messageId)).not.toContain('dl-1');
});
