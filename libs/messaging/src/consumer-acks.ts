import type { Channel, ConsumeMessage } from 'amqplib';

export type Settlement = 'ack' | 'requeue' | 'reject';

/** How long a finished delivery may wait for others before its ack goes out. */
export const ACK_LINGER_MS = 50;

/**
 * The settlements of one channel's deliveries. A nack or reject goes out at once; acks
 * gather for up to `lingerMs` (or until `maxPending` wait, so they never hold the whole
 * prefetch window) and then go out together: the finished deliveries at the front of the
 * channel's unsettled ones as one `basic.ack` with `multiple`, those behind a delivery still
 * in its handler one by one. So a multiple ack never covers a delivery whose handler has not
 * finished, nor one waiting for its delayed requeue.
 *
 * Waiting is safe: a delivery not yet acked when the channel dies is redelivered, and the
 * consumers of this library handle a message delivered twice (decisions are idempotent).
 */
export class ChannelAcks {
  /** Unsettled deliveries in delivery-tag order: the message once its handler said 'ack', else undefined. */
  private readonly unsettled = new Map<number, ConsumeMessage | undefined>();
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly channel: Channel,
    private readonly lingerMs: number,
    private readonly maxPending: number,
  ) {}

  /** Call for every delivery, as it arrives (delivery tags grow, so the map stays in tag order). */
  delivered(msg: ConsumeMessage): void {
    this.unsettled.set(msg.fields.deliveryTag, undefined);
  }

  settle(msg: ConsumeMessage, result: Settlement): void {
    const tag = msg.fields.deliveryTag;
    if (!this.unsettled.has(tag)) return; // already settled, or not of this channel
    if (result === 'ack') {
      this.unsettled.set(tag, msg); // keeps its place in the order
      if (++this.waiting >= this.maxPending) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
      return;
    }
    this.unsettled.delete(tag);
    send(() =>
      result === 'requeue' ? this.channel.nack(msg, false, true) : this.channel.reject(msg, false),
    );
  }

  /** Sends the acks waiting now (also before the channel is closed on purpose). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting === 0) return;
    this.waiting = 0;
    let front: ConsumeMessage | undefined;
    for (const [tag, finished] of this.unsettled) {
      if (!finished) break;
      front = finished;
      this.unsettled.delete(tag);
    }
    if (front) send(() => this.channel.ack(front, true));
    for (const [tag, finished] of this.unsettled) {
      if (!finished) continue;
      this.unsettled.delete(tag);
      send(() => this.channel.ack(finished, false));
    }
  }

  /** The channel is gone: the broker requeued whatever it had not seen acked. */
  drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = 0;
    this.unsettled.clear();
  }
}

/** Settlements on a channel that died are moot: the broker already requeued the delivery. */
function send(settlement: () => void): void {
  try {
    settlement();
  } catch {
    // channel closed: the message is redelivered after reconnect
  }
}
