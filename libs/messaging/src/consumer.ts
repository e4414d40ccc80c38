import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@trx/logging';
import type { IncomingMessage, MessageHandler } from './types';

/** After a handler throws, wait this long before requeueing, so a failing message can't spin hot. */
const THROW_REQUEUE_DELAY_MS = 1_000;

/**
 * One consumer on its own channel (prefetch is per channel). The Broker calls attach()
 * after every (re)connect, so the subscription survives a broker restart.
 */
export class Consumer {
  private channel?: Channel;
  private consumerTag?: string;
  private cancelled = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly queue: string,
    private readonly handler: MessageHandler,
    private readonly prefetch: number,
    private readonly logger: Logger,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    if (this.cancelled) return;
    const channel = await model.createChannel();
    channel.on('error', (err: Error) =>
      this.logger.warn({ err, queue: this.queue }, 'consumer channel error'),
    );
    await channel.prefetch(this.prefetch);
    const { consumerTag } = await channel.consume(this.queue, (msg) => {
      if (msg) void this.deliver(channel, msg);
    });
    this.channel = channel;
    this.consumerTag = consumerTag;
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const channel = this.channel;
    this.channel = undefined;
    if (!channel) return;
    if (this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }

  private async deliver(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const message: IncomingMessage = {
      routingKey: msg.fields.routingKey,
      messageId: msg.properties.messageId as string | undefined,
      body: undefined,
      redelivered: msg.fields.redelivered,
    };
    try {
      message.body = JSON.parse(msg.content.toString('utf8'));
    } catch {
      this.logger.error(
        { queue: this.queue, messageId: message.messageId },
        'dropping a message that is not JSON',
      );
      settle(channel, msg, 'reject');
      return;
    }
    try {
      settle(channel, msg, await this.handler(message));
    } catch (err) {
      this.logger.warn(
        { err, queue: this.queue, messageId: message.messageId },
        'handler failed; requeue later',
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        settle(channel, msg, 'requeue');
      }, THROW_REQUEUE_DELAY_MS);
      this.timers.add(timer);
    }
  }
}

/** Acks on a channel that died are moot: the broker already requeued the delivery. */
function settle(channel: Channel, msg: ConsumeMessage, result: 'ack' | 'requeue' | 'reject'): void {
  try {
    if (result === 'ack') channel.ack(msg);
    else if (result === 'requeue') channel.nack(msg, false, true);
    else channel.reject(msg, false);
  } catch {
    // channel closed: the message is redelivered after reconnect
  }
}
