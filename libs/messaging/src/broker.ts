import * as amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '@trx/logging';
import { decisionQueue, routingKeys } from '@trx/protocol';
import { Consumer } from './consumer';
import { BrokerUnavailableError } from './errors';
import { ConfirmPublisher } from './publisher';
import type { BrokerOptions, ConsumeOptions, MessageHandler, OutgoingMessage, Subscription } from './types';

// Capped low: a broker restart takes seconds, and decisions wait in the outbox meanwhile, so a
// service should notice the broker back within a few seconds (chaos runs: ~8 s with a 30 s cap).
const MAX_RECONNECT_DELAY_MS = 3_000;
type Declaration = (channel: Channel) => Promise<unknown>;

/**
 * A RabbitMQ connection that reconnects by itself. amqplib's opt-in `recovery` hides when
 * channels die; owning the loop lets us replay the topology, re-create the confirm channel
 * and re-attach consumers in a known order after every reconnect.
 */
export class Broker {
  private model?: ChannelModel;
  private publisher?: ConfirmPublisher;
  private closing = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly declarations = new Map<string, Declaration>();
  private readonly consumers = new Set<Consumer>();
  private readonly log: Logger;

  private constructor(private readonly options: BrokerOptions) {
    this.log = options.logger.child({ component: 'broker', exchange: options.exchange });
  }

  /** Connects once (rejects when the broker is unreachable now); reconnects by itself afterwards. */
  static async connect(options: BrokerOptions): Promise<Broker> {
    const broker = new Broker(options);
    await broker.open();
    return broker;
  }

  isConnected(): boolean {
    return this.model !== undefined && this.publisher !== undefined;
  }

  async declareExchange(): Promise<void> {
    const { exchange } = this.options;
    const unroutable = `${exchange}.unroutable`;
    await this.declare(`exchange:${exchange}`, async (ch) => {
      await ch.assertExchange(unroutable, 'fanout', { durable: true });
      await ch.assertQueue(unroutable, { durable: true });
      await ch.bindQueue(unroutable, unroutable, '');
    });
    try {
      await this.declare(`exchange:${exchange}:topic`, (ch) =>
        ch.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unroutable }),
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 406) throw err;
      // Someone declared the exchange without the alternate exchange first. Keep theirs:
      // the mandatory flag still turns an unroutable publish into a PublishError.
      await this.declare(`exchange:${exchange}:topic`, (ch) => ch.checkExchange(exchange));
      this.log.warn(
        { unroutable },
        'exchange exists without alternate-exchange; relying on mandatory returns',
      );
    }
  }

  async declareDecisionQueue(service: string): Promise<string> {
    const queue = decisionQueue(service, this.options.exchange);
    await this.declare(`queue:${queue}`, async (ch) => {
      await ch.assertQueue(queue, { durable: true });
      await ch.bindQueue(queue, this.options.exchange, routingKeys.decision(service));
    });
    return queue;
  }

  async declareAuditQueue(name: string, maxLength: number): Promise<void> {
    await this.declare(`queue:${name}`, async (ch) => {
      await ch.assertQueue(name, { durable: true, maxLength, arguments: { 'x-overflow': 'drop-head' } });
      await ch.bindQueue(name, this.options.exchange, '#');
    });
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (!this.publisher) throw new BrokerUnavailableError('publish');
    await this.publisher.publish(messages);
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Subscription> {
    const consumer = new Consumer(queue, handler, options.prefetch ?? 32, this.log);
    this.consumers.add(consumer);
    if (this.model) await consumer.attach(this.model);
    return {
      cancel: async () => {
        this.consumers.delete(consumer);
        await consumer.cancel();
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    await Promise.all([...this.consumers].map((c) => c.cancel()));
    this.consumers.clear();
    const model = this.model;
    this.model = undefined;
    this.publisher = undefined;
    if (model) await model.close().catch(() => undefined);
  }

  /** Runs a declaration now and remembers it, so it is replayed after a reconnect. */
  private async declare(key: string, declaration: Declaration): Promise<void> {
    const model = this.model;
    if (!model) throw new BrokerUnavailableError('declare topology');
    await withChannel(model, declaration);
    // Only what succeeded once is replayed; a bad declaration must not block reconnecting.
    this.declarations.set(key, declaration);
  }

  private async open(): Promise<void> {
    const model = await amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.options.connectionName ?? 'trx' },
    });
    model.on('error', (err: Error) => this.log.warn({ err }, 'broker connection error'));
    model.on('close', () => this.onClosed(model));
    try {
      for (const declaration of this.declarations.values()) await withChannel(model, declaration);
      const confirm = await model.createConfirmChannel();
      confirm.on('error', (err: Error) => this.log.warn({ err }, 'confirm channel error'));
      if (this.closing) throw new BrokerUnavailableError('reconnect', 'the broker is closing');
      this.publisher = new ConfirmPublisher(confirm, this.options.exchange);
      this.model = model;
      for (const consumer of this.consumers) await consumer.attach(model);
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    this.log.info('connected to RabbitMQ');
  }

  private onClosed(model: ChannelModel): void {
    // A connection that dies while open() is still running is handled by open()'s caller.
    if (this.model !== model) return;
    this.model = undefined;
    this.publisher = undefined;
    if (this.closing) return;
    this.log.warn('lost the RabbitMQ connection; reconnecting');
    this.scheduleReconnect(this.options.reconnectDelayMs ?? 250);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.open().catch((err: unknown) => {
        this.log.warn({ err, nextAttemptMs: delayMs * 2 }, 'reconnect to RabbitMQ failed');
        if (!this.closing) this.scheduleReconnect(Math.min(delayMs * 2, MAX_RECONNECT_DELAY_MS));
      });
    }, delayMs);
  }
}

/** A channel per declaration: a failed declaration closes its channel and nothing else. */
async function withChannel(model: ChannelModel, declaration: Declaration): Promise<void> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined); // the rejected operation reports it
  try {
    await declaration(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}
