import type { Logger } from '@trx/logging';

export interface BrokerOptions {
  /** `amqp://user:pass@host:5672` */
  url: string;
  /** The durable topic exchange every message is published to (`trx-events`). */
  exchange: string;
  logger: Logger;
  /** Shown in the RabbitMQ management UI (and used to find the connection there). */
  connectionName?: string;
  /** First reconnect delay after the connection is lost; doubles up to 30 s. Default 250 ms. */
  reconnectDelayMs?: number;
  /** Cap of `<exchange>.dead-letter` and `<exchange>.unroutable` (oldest dropped). Default 10000. */
  deadLetterMaxLength?: number;
  /** Cap of each decision queue (a publish into a full one is nacked). Default 100000. */
  decisionQueueMaxLength?: number;
}

export interface OutgoingMessage {
  routingKey: string;
  /** Becomes the AMQP `message_id`; consumers deduplicate by it. */
  messageId: string;
  /** Serialised as JSON. */
  body: unknown;
  headers?: Record<string, unknown>;
}

export interface IncomingMessage {
  routingKey: string;
  messageId: string | undefined;
  /** The parsed JSON body. */
  body: unknown;
  redelivered: boolean;
  /**
   * The AMQP `user_id`: when present, RabbitMQ has checked that it is the broker user of the
   * publishing connection. Absent when the publisher did not set it.
   */
  userId: string | undefined;
}

/** What becomes of a delivered message: ack it, put it back (nack requeue), or drop it (reject). */
export type HandlerResult = 'ack' | 'requeue' | 'reject';

export type MessageHandler = (message: IncomingMessage) => Promise<HandlerResult>;

export interface ConsumeOptions {
  /** Unacknowledged messages in flight on this consumer. Default 32. */
  prefetch?: number;
}

export interface Subscription {
  cancel(): Promise<void>;
}
