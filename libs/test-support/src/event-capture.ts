import * as amqp from 'amqplib';
import { deadLetterName, decisionQueue, unroutableName } from '@trx/protocol';
import { uniqueName } from './infra';

export interface CapturedMessage {
  routingKey: string;
  messageId: string | undefined;
  persistent: boolean;
  body: Record<string, unknown>;
}

/**
 * Binds an exclusive queue to `exchange` with `pattern` (default `#`) and records every
 * message, so a test can assert exactly what was published. Declares the exchange
 * (durable topic) so it can bind before the app under test has started.
 */
export class EventCapture {
  readonly messages: CapturedMessage[] = [];
  private constructor(
    private readonly connection: amqp.ChannelModel,
    private readonly channel: amqp.Channel,
  ) {}

  static async start(amqpUrl: string, exchange: string, pattern = '#'): Promise<EventCapture> {
    const connection = await amqp.connect(amqpUrl);
    let channel = await connection.createChannel();
    channel.on('error', () => undefined); // a refused declaration closes the channel; handled below
    // Same arguments as @trx/messaging's Broker.declareExchange, or RabbitMQ refuses the
    // second declaration (PRECONDITION_FAILED) whichever side comes first. The bounded
    // `<exchange>.unroutable` queue is left to the Broker, which owns its arguments.
    const unroutable = `${exchange}.unroutable`;
    await channel.assertExchange(unroutable, 'fanout', { durable: true });
    try {
      await channel.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unroutable });
    } catch (err) {
      // Declared earlier without an alternate exchange: bind to it as it is.
      if ((err as { code?: number }).code !== 406) throw err;
      channel = await connection.createChannel();
    }
    const { queue } = await channel.assertQueue(uniqueName('test.capture'), {
      exclusive: true,
      autoDelete: true,
    });
    await channel.bindQueue(queue, exchange, pattern);
    const capture = new EventCapture(connection, channel);
    await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        capture.messages.push({
          routingKey: msg.fields.routingKey,
          messageId: msg.properties.messageId as string | undefined,
          persistent: msg.properties.deliveryMode === 2,
          body: JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>,
        });
      },
      { noAck: true },
    );
    return capture;
  }

  /** Messages whose routing key matches exactly, or starts with `prefix.` when given a prefix ending in '.'. */
  withKey(key: string): CapturedMessage[] {
    return this.messages.filter((m) =>
      key.endsWith('.') ? m.routingKey.startsWith(key) : m.routingKey === key,
    );
  }

  forTransaction(transactionId: string): CapturedMessage[] {
    return this.messages.filter((m) => m.body.transactionId === transactionId || m.body.id === transactionId);
  }

  async stop(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}

/** Deletes an exchange and queues a test declared (best effort). */
export async function deleteAmqpObjects(amqpUrl: string, names: { exchanges?: string[]; queues?: string[] }) {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const q of names.queues ?? []) await channel.deleteQueue(q);
    for (const e of names.exchanges ?? []) await channel.deleteExchange(e);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/**
 * Deletes what the platform declares on a test's exchange (best effort): the decision queues
 * of `services`, `<exchange>.unroutable`, `<exchange>.dead-letter`, the exchange, and `queues`.
 */
export async function deleteExchangeTopology(
  amqpUrl: string,
  exchange: string,
  o: { services?: readonly string[]; queues?: string[] } = {},
): Promise<void> {
  const parked = [unroutableName(exchange), deadLetterName(exchange)];
  const decisions = (o.services ?? []).map((s) => decisionQueue(s, exchange));
  await deleteAmqpObjects(amqpUrl, {
    queues: [...decisions, ...parked, ...(o.queues ?? [])],
    exchanges: [exchange, ...parked],
  }).catch(() => undefined);
}
