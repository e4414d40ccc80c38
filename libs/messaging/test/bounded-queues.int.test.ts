import * as amqp from 'amqplib';
import { silentLogger } from '@trx/logging';
import { deadLetterName, decisionQueue, unroutableName } from '@trx/protocol';
import {
  deleteAmqpObjects,
  managementApi,
  peekQueue,
  testInfra,
  uniqueName,
  waitFor,
} from '@trx/test-support';
import { Broker, type BrokerOptions, type IncomingMessage } from '../src';

const { amqpUrl } = testInfra();
const brokers: Broker[] = [];
const exchanges: string[] = [];
const queues: string[] = [];

/** A Broker on an exchange of its own (`exchange`), its topology declared. */
async function brokerOn(
  options: Partial<BrokerOptions> = {},
  exchange = uniqueName('trx_bounded_test'),
): Promise<Broker> {
  exchanges.push(exchange, unroutableName(exchange), deadLetterName(exchange));
  queues.push(unroutableName(exchange), deadLetterName(exchange));
  const broker = await Broker.connect({ url: amqpUrl, exchange, logger: silentLogger(), ...options });
  brokers.push(broker);
  await broker.declareExchange();
  return broker;
}

async function decisionQueueOf(broker: Broker, service: string): Promise<string> {
  const queue = await broker.declareDecisionQueue(service);
  queues.push(queue);
  return queue;
}

const exchangeOf = (queue: string) => queue.slice(0, queue.indexOf('.decisions.'));

async function argumentsOf(queue: string): Promise<Record<string, unknown>> {
  return (await managementApi<{ arguments: Record<string, unknown> }>('GET', `/queues/%2F/${queue}`))
    .arguments;
}

afterAll(async () => {
  for (const b of brokers) await b.close();
  await deleteAmqpObjects(amqpUrl, { queues, exchanges });
});

it('bounds every queue it declares; a decision queue dead-letters to <exchange>.dead-letter', async () => {
  const broker = await brokerOn({ deadLetterMaxLength: 50 });
  const queue = await decisionQueueOf(broker, 'account-service');
  const exchange = exchangeOf(queue);
  const audit = `${exchange}.audit`;
  queues.push(audit);
  await broker.declareAuditQueue(audit, 20);

  expect(await argumentsOf(queue)).toEqual({
    'x-dead-letter-exchange': deadLetterName(exchange),
    'x-max-length': 100_000,
    'x-overflow': 'reject-publish',
  });
  const parked = { 'x-max-length': 50, 'x-overflow': 'drop-head' };
  expect(await argumentsOf(deadLetterName(exchange))).toEqual(parked);
  expect(await argumentsOf(unroutableName(exchange))).toEqual(parked);
  expect(await argumentsOf(audit)).toEqual({ 'x-max-length': 20, 'x-overflow': 'drop-head' });
});

it('a rejected delivery is dead-lettered once, with its message_id and user_id, and never redelivered', async () => {
  const broker = await brokerOn();
  const queue = await decisionQueueOf(broker, 'product-service');
  const handled: IncomingMessage[] = [];
  const sub = await broker.consume(queue, async (m) => {
    handled.push(m);
    return 'reject';
  });
  try {
    await broker.publish([
      { routingKey: 'decision.product-service', messageId: 'refused-1', body: { x: 1 } },
    ]);
    const dead = deadLetterName(exchangeOf(queue));
    const [parked] = await waitFor(async () => {
      const got = await peekQueue(dead);
      return got.length > 0 && got;
    });
    expect(parked!.properties).toMatchObject({ message_id: 'refused-1', user_id: broker.user });
    expect(parked!.properties.headers?.['x-death']).toEqual([
      expect.objectContaining({ queue, reason: 'rejected', count: 1 }),
    ]);
    expect(handled.map((m) => m.messageId)).toEqual(['refused-1']);
  } finally {
    await sub.cancel();
  }
});

it('a message that is not JSON is dead-lettered without reaching the handler', async () => {
  const broker = await brokerOn();
  const queue = await decisionQueueOf(broker, 'order-service');
  const handled: IncomingMessage[] = [];
  const sub = await broker.consume(queue, async (m) => {
    handled.push(m);
    return 'ack';
  });
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    channel.publish(exchangeOf(queue), 'decision.order-service', Buffer.from('{not json'), {
      messageId: 'nj-1',
    });
    await channel.waitForConfirms();
    const parked = await waitFor(async () => {
      const got = await peekQueue(deadLetterName(exchangeOf(queue)));
      return got.length > 0 && got;
    });
    expect(parked.map((m) => m.properties.message_id)).toEqual(['nj-1']);
    expect(handled).toEqual([]);
  } finally {
    await connection.close();
    await sub.cancel();
  }
});

it('a publish into a full decision queue is nacked (the outbox keeps the message), not dropped', async () => {
  const broker = await brokerOn({ decisionQueueMaxLength: 1 });
  await decisionQueueOf(broker, 'account-service');
  const one = (id: string) => [{ routingKey: 'decision.account-service', messageId: id, body: {} }];
  await broker.publish(one('fits'));
  await expect(broker.publish(one('overflows'))).rejects.toMatchObject({
    name: 'PublishError',
    reason: 'nack',
    messageId: 'overflows',
    retryable: true,
  });
  await broker.publish([{ routingKey: 'nobody.listens', messageId: 'still-publishing', body: {} }]);
});

it('the dead-letter queue keeps the newest dead letters when it is full', async () => {
  const broker = await brokerOn({ deadLetterMaxLength: 2 });
  const queue = await decisionQueueOf(broker, 'account-service');
  const sub = await broker.consume(queue, async () => 'reject');
  try {
    await broker.publish(
      [1, 2, 3].map((i) => ({ routingKey: 'decision.account-service', messageId: `dl-${i}`, body: {} })),
    );
    const dead = deadLetterName(exchangeOf(queue));
    await waitFor(async () => (await peekQueue(dead)).some((m) => m.properties.message_id === 'dl-3'), {
      description: 'the third dead letter',
    });
    expect((await peekQueue(dead)).map((m) => m.properties.message_id)).toEqual(['dl-2', 'dl-3']);
  } finally {
    await sub.cancel();
  }
});

it('a decision queue declared before with other arguments is refused with a clear error', async () => {
  const broker = await brokerOn();
  const exchange = exchangeOf(
    decisionQueue('x', (broker as unknown as { options: BrokerOptions }).options.exchange),
  );
  const old = decisionQueue('legacy-service', exchange);
  queues.push(old);
  const connection = await amqp.connect(amqpUrl);
  await (await connection.createChannel()).assertQueue(old, { durable: true });
  await connection.close();
  await expect(broker.declareDecisionQueue('legacy-service')).rejects.toMatchObject({
    name: 'TopologyMismatchError',
    queue: old,
    retryable: false,
    message: expect.stringContaining('docs/deploy.md'),
  });
});

it('parking queues declared before without a cap are kept as they are', async () => {
  const exchange = uniqueName('trx_bounded_legacy');
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  await channel.assertQueue(unroutableName(exchange), { durable: true });
  await channel.assertQueue(deadLetterName(exchange), { durable: true });
  await connection.close();
  const broker = await brokerOn({}, exchange);
  expect(await argumentsOf(unroutableName(exchange))).toEqual({});
  await broker.publish([{ routingKey: 'nobody.listens', messageId: 'parked', body: {} }]);
  await waitFor(async () => (await peekQueue(unroutableName(exchange))).length === 1);
});
