import type { Socket } from 'node:net';
import * as amqp from 'amqplib';
import { brokerUserOf } from '../src';
import { ConfirmPublisher } from '../src/publisher';
import { countSocketWrites, deleteAmqpObjects, testInfra, uniqueName } from '@trx/test-support';

const { amqpUrl } = testInfra();
const exchange = uniqueName('trx_publisher_test');
const queue = `${exchange}.all`;
let connection: amqp.ChannelModel;
let publisher: ConfirmPublisher;
let socket: Socket;

beforeAll(async () => {
  connection = await amqp.connect(amqpUrl);
  const setup = await connection.createChannel();
  await setup.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
  await setup.assertQueue(queue, { durable: false });
  await setup.bindQueue(queue, exchange, '#');
  await setup.close();
  const channel = await connection.createConfirmChannel();
  publisher = new ConfirmPublisher(channel, exchange, brokerUserOf(amqpUrl));
  socket = (connection.connection as unknown as { stream: Socket }).stream;
});

afterAll(async () => {
  await connection.close();
  await deleteAmqpObjects(amqpUrl, { queues: [queue], exchanges: [exchange] });
});

const messages = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    routingKey: `decision.test-${i % 3}`,
    messageId: `${tag}-${i}`,
    body: { i },
  }));

it('when a round of messages is published, then they leave in one socket write and are all confirmed', async () => {
  const writes = countSocketWrites(socket);
  try {
    await publisher.publish(messages(12, 'round'));
  } finally {
    writes.stop();
  }
  // One write of the twelve messages; the rest of the count is nothing of ours (no heartbeats this soon).
  expect(writes.count).toBe(1);
  const channel = await connection.createChannel();
  try {
    expect((await channel.checkQueue(queue)).messageCount).toBe(12);
  } finally {
    await channel.close();
  }
});

it('when rounds are published one after another, then each is written and confirmed on its own', async () => {
  for (let round = 0; round < 3; round++) await publisher.publish(messages(4, `r${round}`));
  const single = countSocketWrites(socket);
  try {
    await publisher.publish(messages(1, 'single'));
  } finally {
    single.stop();
  }
  expect(single.count).toBe(1);
  const channel = await connection.createChannel();
  try {
    expect((await channel.checkQueue(queue)).messageCount).toBe(12 + 12 + 1);
  } finally {
    await channel.close();
  }
});
