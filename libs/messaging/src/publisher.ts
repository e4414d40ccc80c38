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

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly exchange: string,
    private readonly userId: string,
  ) {
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
    for (const message of messages) {
      confirmations.push(this.publishOne(message, exchange));
      // Honour back-pressure from the socket instead of buffering without bound.
      if (this.needsDrain) await new Promise((resolve) => this.channel.once('drain', resolve));
    }
    const results = await Promise.allSettled(confirmations);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
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
