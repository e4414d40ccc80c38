import * as amqp from 'amqplib';
import { silentLogger } from '@trx/logging';
import {
  createBrokerUser,
  deleteAmqpObjects,
  testInfra,
  uniqueName,
  waitFor,
  type TestBrokerUser,
} from '@trx/test-support';
import { Broker, brokerUserOf, type IncomingMessage } from '../src';

const { amqpUrl } = testInfra();
const exchange = uniqueName('trx_userid_test');
const queue = `${exchange}.seen`;
let guest: Broker;
let user: TestBrokerUser;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  // May publish transaction.* only: a stand-in for a service whose topic permissions exclude decision.*.
  user = await createBrokerUser({ topic: { exchange, write: '^transaction\\.', read: '.*' } });
  guest = await Broker.connect({ url: amqpUrl, exchange, logger: silentLogger() });
  await guest.declareExchange();
  await guest.declareAuditQueue(queue, 100);
  await guest.consume(queue, async (m) => {
    seen.push(m);
    return 'ack';
  });
});

afterAll(async () => {
  await guest.close();
  await user.remove();
  const parked = [`${exchange}.unroutable`, `${exchange}.dead-letter`];
  await deleteAmqpObjects(amqpUrl, { queues: [queue, ...parked], exchanges: [exchange, ...parked] });
});

const seenWithId = (id: string) => () => seen.find((m) => m.messageId === id);

it("stamps every message with the publishing connection's broker user as user_id", async () => {
  expect(guest.user).toBe(brokerUserOf(amqpUrl));
  await guest.publish([{ routingKey: 'transaction.begun', messageId: 'by-guest', body: {} }]);
  expect((await waitFor(seenWithId('by-guest'))).userId).toBe(guest.user);

  const other = await Broker.connect({ url: user.amqpUrl, exchange, logger: silentLogger() });
  try {
    expect(other.user).toBe(user.username);
    await other.publish([{ routingKey: 'transaction.begun', messageId: 'by-other', body: {} }]);
    expect((await waitFor(seenWithId('by-other'))).userId).toBe(user.username);
  } finally {
    await other.close();
  }
});

it("refuses, at the broker, a publish whose user_id is not the connection's user", async () => {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    const closed = new Promise<Error>((resolve) => channel.on('error', resolve));
    const confirmed = new Promise<unknown>((resolve) =>
      channel.publish(
        exchange,
        'transaction.begun',
        Buffer.from('{}'),
        { messageId: 'posing', userId: 'trx-coordinator' },
        resolve,
      ),
    );
    const err = await closed;
    expect(err.message).toMatch(/PRECONDITION_FAILED.*user_id property set to 'trx-coordinator'/);
    expect(await confirmed).toBeTruthy(); // the confirm callback gets an error, never an ack
    await guest.publish([{ routingKey: 'transaction.begun', messageId: 'after-posing', body: {} }]);
    await waitFor(seenWithId('after-posing'));
    expect(seen.some((m) => m.messageId === 'posing')).toBe(false);
  } finally {
    await connection.close().catch(() => undefined);
  }
});

it('fails a publish its topic permissions refuse as a PublishError, and publishes again right after', async () => {
  const other = await Broker.connect({ url: user.amqpUrl, exchange, logger: silentLogger() });
  try {
    await expect(
      other.publish([{ routingKey: 'decision.account-service', messageId: 'forged', body: {} }]),
    ).rejects.toMatchObject({ name: 'PublishError', retryable: true });
    // The broker closed the confirm channel; the Broker opens a new one on the same connection.
    await waitFor(
      () =>
        other.publish([{ routingKey: 'transaction.begun', messageId: 'allowed', body: {} }]).then(() => true),
      { description: 'a publish on the re-opened confirm channel' },
    );
    await waitFor(seenWithId('allowed'));
    expect(seen.some((m) => m.messageId === 'forged')).toBe(false);
  } finally {
    await other.close();
  }
});
