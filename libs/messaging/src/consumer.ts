import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@trx/logging';
import type { IncomingMessage, MessageHandler } from './types';
import { ACK_LINGER_MS, ChannelAcks } from './consumer-acks';

/** After a handler throws, wait this long before requeueing, so a failing message can't spin hot. */
const THROW_REQUEUE_DELAY_MS = 1_000;

/**
 * One consumer on its own channel (prefetch is per channel). The Broker calls attach()
 * after every (re)connect, so the subscription survives a broker restart. Acks are
 * coalesced per channel (see ChannelAcks): one socket write for many deliveries.
 */
export class Consumer {
  private channel?: Channel;
  private acks?: ChannelAcks;
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
    const acks = new ChannelAcks(channel, ACK_LINGER_MS, Math.max(1, Math.floor(this.prefetch / 2)));
    channel.on('close', () => acks.drop());
    await channel.prefetch(this.prefetch);
    const { consumerTag } = await channel.consume(this.queue, (msg) => {
      if (!msg) return;
      acks.delivered(msg);
      void this.deliver(acks, msg);
    });
    this.channel = channel;
    this.acks = acks;
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
    // What finished is acked before the channel closes; what is still running is redelivered.
    this.acks?.flush();
    await channel.close().catch(() => undefined);
  }

  private async deliver(acks: ChannelAcks, msg: ConsumeMessage): Promise<void> {
    const message: IncomingMessage = {
      routingKey: msg.fields.routingKey,
      messageId: msg.properties.messageId as string | undefined,
      body: undefined,
      redelivered: msg.fields.redelivered,
      userId: msg.properties.userId as string | undefined,
    };
    try {
      message.body = JSON.parse(msg.content.toString('utf8'));
    } catch {
      this.logger.error(
        { queue: this.queue, messageId: message.messageId },
        'dead-lettering a message that is not JSON',
      );
      acks.settle(msg, 'reject');
      return;
    }
    try {
      acks.settle(msg, await this.handler(message));
    } catch (err) {
      this.logger.warn(
        { err, queue: this.queue, messageId: message.messageId },
        'handler failed; requeue later',
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        acks.settle(msg, 'requeue');
      }, THROW_REQUEUE_DELAY_MS);
      this.timers.add(timer);
    }
  }
}
