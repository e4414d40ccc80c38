import * as amqp from 'amqplib';
import { silentLogger } from '@trx/logging';
import { testInfra, uniqueName, waitFor } from '@trx/test-support';
import { Broker, type HandlerResult, type IncomingMessage } from '../src';

/**
 * Coalesced acks against the real RabbitMQ: the broker is the judge of what was acked (a
 * delivery not acked when the consumer's channel closes is back in the queue).
 */
const { amqpUrl } = testInfra();
let broker: Broker;
let setup: amqp.ChannelModel;
let raw: amqp.Channel;
const queues: string[] = [];

/** Every basic.ack the library sends (on amqplib's Channel prototype, passed through unchanged). */
let ackSpy: jest.SpiedFunction<amqp.Channel['ack']>;
const ackCalls = () =>
  ackSpy.mock.calls.map(([msg, allUpTo]) => ({ tag: msg.fields.deliveryTag, multiple: allUpTo === true }));

beforeAll(async () => {
  broker = await Broker.connect({
    url: amqpUrl,
    exchange: uniqueName('trx_acks_test'),
    logger: silentLogger(),
  });
  setup = await amqp.connect(amqpUrl);
  raw = await setup.createChannel();
  ackSpy = jest.spyOn(Object.getPrototypeOf(raw) as amqp.Channel, 'ack');
});

afterAll(async () => {
  await broker.close();
  for (const q of queues) await raw.deleteQueue(q).catch(() => undefined);
  await setup.close();
  ackSpy?.mockRestore();
});

beforeEach(() => ackSpy.mockClear());

/** A fresh queue holding messages m-1 … m-n, in that order. */
async function queueWith(n: number): Promise<string> {
  const { queue } = await raw.assertQueue(uniqueName('trx-acks'), { durable: false });
  queues.push(queue);
  for (let i = 1; i <= n; i++) {
    raw.sendToQueue(queue, Buffer.from('{}'), { messageId: `m-${i}` });
  }
  await waitFor(async () => (await raw.checkQueue(queue)).messageCount === n);
  return queue;
}

/** Ready messages left in the queue, once no consumer holds any. */
const readyIn = async (queue: string) => (await raw.checkQueue(queue)).messageCount;

/** The delivery tags an ack call covers, given the tags delivered so far on the channel. */
function covered(delivered: number[]): Set<number> {
  const tags = new Set<number>();
  for (const { tag, multiple } of ackCalls()) {
    for (const t of delivered) if (t === tag || (multiple && t < tag)) tags.add(t);
  }
  return tags;
}

it('when many deliveries finish together, then fewer acks than deliveries cover them all', async () => {
  const queue = await queueWith(20);
  const seen: IncomingMessage[] = [];
  const sub = await broker.consume(queue, async (m) => {
    seen.push(m);
    return 'ack';
  });
  await waitFor(() => seen.length === 20, { description: '20 deliveries' });
  const tags = Array.from({ length: 20 }, (_, i) => i + 1);
  // Without a stop: the linger sends them.
  await waitFor(() => covered(tags).size === 20, { description: 'every delivery acked' });
  expect(ackCalls().length).toBeLessThan(10);
  await sub.cancel();
  expect(await readyIn(queue)).toBe(0);
  expect(seen.every((m) => !m.redelivered)).toBe(true);
});

it('when an earlier delivery is still in its handler, then no ack covers it and it is redelivered after the consumer stops', async () => {
  const queue = await queueWith(5);
  const seen: string[] = [];
  let release!: (r: HandlerResult) => void;
  const first = new Promise<HandlerResult>((resolve) => (release = resolve));
  const sub = await broker.consume(queue, async (m) => {
    seen.push(String(m.messageId));
    return m.messageId === 'm-1' ? first : 'ack';
  });
  await waitFor(() => seen.length === 5, { description: '5 deliveries' });
  await waitFor(() => covered([1, 2, 3, 4, 5]).size === 4, { description: 'the 4 finished acked' });
  expect(covered([1, 2, 3, 4, 5]).has(1)).toBe(false);
  await sub.cancel();
  release('ack'); // too late: its channel is closed
  expect(await readyIn(queue)).toBe(1);
  const again = await raw.get(queue, { noAck: true });
  expect(again && [again.properties.messageId, again.fields.redelivered]).toEqual(['m-1', true]);
});

it('when a handler fails and its delivery waits to be requeued, then later acks do not cover it and it comes back', async () => {
  const queue = await queueWith(4);
  const seen: [string, boolean][] = [];
  const sub = await broker.consume(queue, async (m) => {
    seen.push([String(m.messageId), m.redelivered]);
    if (m.messageId === 'm-1' && !m.redelivered) throw new Error('fails once'); // requeued after 1 s
    return 'ack';
  });
  // Had an ack of m-2 … m-4 covered m-1, its requeue would name an unknown tag and it would never return.
  await waitFor(() => seen.some(([id, redelivered]) => id === 'm-1' && redelivered), {
    description: 'm-1 redelivered',
  });
  await waitFor(() => ackCalls().some(({ tag }) => tag === 5), { description: 'the redelivery acked' });
  await sub.cancel();
  expect(await readyIn(queue)).toBe(0);
  expect(seen.map(([id]) => id).sort()).toEqual(['m-1', 'm-1', 'm-2', 'm-3', 'm-4']);
});
