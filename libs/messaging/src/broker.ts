import * as amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '@trx/logging';
import { deadLetterName, decisionQueue, unroutableName } from '@trx/protocol';
import { amqpCredentials, type AmqpCredentials } from './amqp-url';
import { Consumer } from './consumer';
import { BrokerUnavailableError, TopologyMismatchError } from './errors';
import { ConfirmPublisher } from './publisher';
import {
  assertDecisionQueue,
  assertParking,
  DEFAULT_DEAD_LETTER_MAX_LENGTH,
  DEFAULT_DECISION_QUEUE_MAX_LENGTH,
  isPreconditionFailed,
  keepParking,
} from './topology';
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
  private readonly credentials: AmqpCredentials;

  private constructor(private readonly options: BrokerOptions) {
    this.log = options.logger.child({ component: 'broker', exchange: options.exchange });
    this.credentials = amqpCredentials(options.url);
  }

  /** Connects once (rejects when the broker is unreachable now); reconnects by itself afterwards. */
  static async connect(options: BrokerOptions): Promise<Broker> {
    const broker = new Broker(options);
    await broker.open();
    return broker;
  }

  /** The broker user this connection logs in as: the `user_id` of everything it publishes. */
  get user(): string {
    return this.credentials.username;
  }

  isConnected(): boolean {
    return this.model !== undefined && this.publisher !== undefined;
  }

  /**
   * The exchange (its unroutable messages go to `<exchange>.unroutable`) and the parking
   * queues `<exchange>.unroutable` and `<exchange>.dead-letter`, both bounded.
   */
  async declareExchange(): Promise<void> {
    const { exchange } = this.options;
    const unroutable = unroutableName(exchange);
    await this.declareParking(unroutable);
    await this.declareParking(deadLetterName(exchange));
    try {
      await this.declare(`exchange:${exchange}:topic`, (ch) =>
        ch.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unroutable }),
      );
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      // Someone declared the exchange without the alternate exchange first. Keep theirs:
      // the mandatory flag still turns an unroutable publish into a PublishError.
      await this.declare(`exchange:${exchange}:topic`, (ch) => ch.checkExchange(exchange));
      this.log.warn(
        { unroutable },
        'exchange exists without alternate-exchange; relying on mandatory returns',
      );
    }
  }

  /**
   * The queue of a service's decisions, bounded, its rejected deliveries dead-lettered to
   * `<exchange>.dead-letter` (declared here too, so they never vanish). Throws
   * TopologyMismatchError when the queue exists with other arguments (see docs/deploy.md).
   */
  async declareDecisionQueue(service: string): Promise<string> {
    const { exchange } = this.options;
    const queue = decisionQueue(service, exchange);
    const maxLength = this.options.decisionQueueMaxLength ?? DEFAULT_DECISION_QUEUE_MAX_LENGTH;
    await this.declareParking(deadLetterName(exchange));
    try {
      await this.declare(`queue:${queue}`, (ch) => assertDecisionQueue(ch, exchange, service, maxLength));
    } catch (err) {
      if (isPreconditionFailed(err)) throw new TopologyMismatchError(queue, (err as Error).message);
      throw err;
    }
    return queue;
  }

  /**
   * The audit queue: a bounded copy of everything published (bound with `#`), for watching,
   * capped with the oldest dropped. No dead-letter exchange: it overflows by design, and that
   * overflow must not push the refused decisions out of `<exchange>.dead-letter`.
   * `durable: false` (the default of TRX_AUDIT_DURABLE): RabbitMQ keeps no copy of what it
   * holds on disk — it is for watching, and every message in it is a copy of one delivered
   * elsewhere — and it is gone after a broker restart until the coordinator declares it again.
   * One declared before with the other durability is kept, with a warning (RabbitMQ can't
   * change it in place).
   */
  async declareAuditQueue(name: string, maxLength: number, durable = false): Promise<void> {
    const exchange = this.options.exchange;
    const options = { durable, maxLength, arguments: { 'x-overflow': 'drop-head' } };
    try {
      await this.declare(`queue:${name}`, async (ch) => {
        await ch.assertQueue(name, options);
        await ch.bindQueue(name, exchange, '#');
      });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      await this.declare(`queue:${name}`, async (ch) => {
        await ch.checkQueue(name);
        await ch.bindQueue(name, exchange, '#');
      });
      this.log.warn(
        { queue: name, durable },
        'audit queue exists with other arguments; keeping it (delete it to have it declared anew)',
      );
    }
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (!this.publisher) throw new BrokerUnavailableError('publish');
    await this.publisher.publish(messages);
  }

  /**
   * Parks messages in `<exchange>.dead-letter` (the fanout of refused decisions), confirmed
   * and persistent like publish(), stamped with this connection's user: how a participant
   * sets aside one refused entry of a decision batch without refusing the whole message
   * (which the decision queue would dead-letter by itself). The routing key is kept for the
   * operator; a fanout ignores it.
   */
  async deadLetter(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (!this.publisher) throw new BrokerUnavailableError('dead-letter');
    await this.publisher.publish(messages, deadLetterName(this.options.exchange));
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

  /** A parking queue (see assertParking); one declared before with other arguments is kept, with a warning. */
  private async declareParking(name: string): Promise<void> {
    const maxLength = this.options.deadLetterMaxLength ?? DEFAULT_DEAD_LETTER_MAX_LENGTH;
    try {
      await this.declare(`parking:${name}`, (ch) => assertParking(ch, name, maxLength));
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      await this.declare(`parking:${name}`, (ch) => keepParking(ch, name));
      this.log.warn(
        { queue: name, maxLength },
        'queue exists with other arguments; keeping it (docs/deploy.md, "Bounded queues and dead letters")',
      );
    }
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
    const { username, password } = this.credentials;
    // Log in with exactly the user that publisher stamps as user_id (not amqplib's own URL decoding).
    const model = await amqp.connect(this.options.url, {
      credentials: amqp.credentials.plain(username, password),
      clientProperties: { connection_name: this.options.connectionName ?? 'trx' },
    });
    model.on('error', (err: Error) => this.log.warn({ err }, 'broker connection error'));
    model.on('close', () => this.onClosed(model));
    try {
      for (const declaration of this.declarations.values()) await withChannel(model, declaration);
      const publisher = await this.openPublisher(model);
      if (this.closing) throw new BrokerUnavailableError('reconnect', 'the broker is closing');
      this.publisher = publisher;
      this.model = model;
      for (const consumer of this.consumers) await consumer.attach(model);
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    this.log.info({ user: username }, 'connected to RabbitMQ');
  }

  /**
   * The confirm channel, re-opened when the broker closes it alone (a publish it refused:
   * a topic permission, a user_id); when the whole connection went, onClosed reconnects.
   */
  private async openPublisher(model: ChannelModel): Promise<ConfirmPublisher> {
    const confirm = await model.createConfirmChannel();
    confirm.on('error', (err: Error) => this.log.warn({ err }, 'confirm channel error'));
    confirm.on('close', () => {
      if (this.model !== model || this.closing) return;
      this.publisher = undefined;
      this.openPublisher(model).then(
        (publisher) => {
          if (this.model === model) this.publisher = publisher;
        },
        (err: unknown) => {
          // The whole connection is going: onClosed reconnects, nothing to report here.
          if (this.model === model) this.log.warn({ err }, 'could not re-open the confirm channel');
        },
      );
    });
    return new ConfirmPublisher(confirm, this.options.exchange, this.credentials.username);
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
