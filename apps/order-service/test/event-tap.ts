import * as amqp from 'amqplib';
import { uniqueName } from '@trx/test-support';

export interface TappedMessage {
  routingKey: string;
  messageId: string | undefined;
  persistent: boolean;
  body: Record<string, unknown>;
}

/**
 * Records every message that reaches an exchange the apps already declared. Unlike
 * EventCapture of @trx/test-support it does not declare the exchange: the apps declare it
 * with an alternate exchange, and a re-declaration without that argument is refused (406).
 */
export class EventTap {
  readonly messages: TappedMessage[] = [];
  private constructor(private readonly connection: amqp.ChannelModel) {}

  static async start(amqpUrl: string, exchange: string, pattern = '#'): Promise<EventTap> {
    const connection = await amqp.connect(amqpUrl);
    const tap = new EventTap(connection);
    const channel = await connection.createChannel();
    await channel.checkExchange(exchange);
    const { queue } = await channel.assertQueue(uniqueName('test.tap'), {
      exclusive: true,
      autoDelete: true,
    });
    await channel.bindQueue(queue, exchange, pattern);
    await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        tap.messages.push({
          routingKey: msg.fields.routingKey,
          messageId: msg.properties.messageId as string | undefined,
          persistent: msg.properties.deliveryMode === 2,
          body: JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>,
        });
      },
      { noAck: true },
    );
    return tap;
  }

  withKey(routingKey: string): TappedMessage[] {
    return this.messages.filter((m) => m.routingKey === routingKey);
  }

  async stop(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
