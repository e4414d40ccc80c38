import type { Writable } from 'node:stream';
import type { ConfirmChannel, Message } from 'amqplib';
import { PublishError } from './errors';
import type { OutgoingMessage } from './types';

/**
 * Publishes on one confirm channel and remembers which messages came back as unroutable.
 * Every message carries `user_id` = the connection's broker user, which RabbitMQ validates,
 * so a consumer can tell who published it (participants accept decisions from the
 * coordinator's user only).
 * RabbitMQ sends `basic.return` before the `basic.ack` of a mandatory message it could
 * not route, so by the time the confirm callback runs the return is already recorded.
 */
export class ConfirmPublisher {
  private readonly returned = new Set<string>();
  /** The connection's socket, when amqplib shows it (see publish). */
  private readonly socket: Pick<Writable, 'cork' | 'uncork'> | undefined;

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly exchange: string,
    private readonly userId: string,
  ) {
    this.socket = socketOf(channel);
    channel.on('return', (message: Message) => {
      const id = message.properties.messageId as string | undefined;
      if (id) this.returned.add(id);
    });
  }

  /**
   * Resolves when every message is confirmed; rejects with the first PublishError.
   * `exchange`: another exchange than the channel's own (the dead-letter fanout).
   */
  async publish(messages: OutgoingMessage[], exchange: string = this.exchange): Promise<void> {
    const confirmations: Promise<void>[] = [];
    const flush = this.holdWrites(messages.length);
    try {
      for (const message of messages) {
        confirmations.push(this.publishOne(message, exchange));
        // Honour back-pressure from the socket instead of buffering without bound.
        if (this.needsDrain) {
          flush();
          await new Promise((resolve) => this.channel.once('drain', resolve));
        }
      }
    } finally {
      flush();
    }
    const results = await Promise.allSettled(confirmations);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Several messages go to the socket in one write. amqplib writes each message's frames
   * with a write of their own (its multiplexer, on a later turn of the event loop), so a
   * decision round of n messages cost n system calls here and n reads at the broker. The
   * socket is corked until the turn after that, then written at once. Returns the function
   * that lets it go (idempotent); without a socket to hold, each message goes as it comes.
   */
  private holdWrites(count: number): () => void {
    const socket = this.socket;
    if (!socket || count < 2) return () => undefined;
    socket.cork();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      // After amqplib's multiplexer has written the frames: it hears of them on a process.nextTick
      // (the 'readable' of a channel's buffer) and writes them on the setImmediate that schedules,
      // so this nextTick comes after its own, and this setImmediate after its.
      process.nextTick(() => setImmediate(() => socket.uncork()));
    };
  }

  private needsDrain = false;

  private publishOne(message: OutgoingMessage, exchange: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const content = Buffer.from(JSON.stringify(message.body));
      try {
        const ok = this.channel.publish(
          exchange,
          message.routingKey,
          content,
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            messageId: message.messageId,
            userId: this.userId,
            timestamp: Math.floor(Date.now() / 1000),
            headers: message.headers,
          },
          (err: unknown) => {
            const wasReturned = this.returned.delete(message.messageId);
            if (err) {
              const reason = String((err as Error)?.message ?? err).includes('closed')
                ? 'disconnected'
                : 'nack';
              reject(new PublishError(reason, message.messageId, message.routingKey));
            } else if (wasReturned) {
              reject(new PublishError('unroutable', message.messageId, message.routingKey));
            } else resolve();
          },
        );
        this.needsDrain = !ok;
      } catch (err) {
        // The channel closed under us (IllegalOperationError): the connection was lost.
        reject(
          new PublishError('disconnected', message.messageId, message.routingKey, (err as Error).message),
        );
      }
    });
  }
}

/** The socket under a channel: amqplib's Connection keeps it as `stream` (not in its typings). */
function socketOf(channel: ConfirmChannel): Pick<Writable, 'cork' | 'uncork'> | undefined {
  const stream = (channel as unknown as { connection?: { stream?: Partial<Writable> } }).connection?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Writable)
    : undefined;
}
