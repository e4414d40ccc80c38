/**
 * What the runtime needs from the broker. `Broker` of @trx/messaging satisfies it; the
 * runtime depends on this shape only, so two copies of the messaging library (or a
 * broker of a test) fit as well.
 */
export interface DecisionMessage {
  routingKey: string;
  messageId: string | undefined;
  body: unknown;
  redelivered: boolean;
  /** The AMQP `user_id`, validated by RabbitMQ: the broker user that published the message. */
  userId: string | undefined;
}

/** 'reject' = nack without requeue: the queue dead-letters the message (never redelivered). */
export type ConsumeResult = 'ack' | 'requeue' | 'reject';

export interface ConsumerHandle {
  cancel(): Promise<void>;
}

export interface ParticipantBroker {
  /** Declares (idempotently) the queue of this service's decisions, bound to its routing key. */
  declareDecisionQueue(service: string): Promise<string>;
  consume(
    queue: string,
    handler: (message: DecisionMessage) => Promise<ConsumeResult>,
    options?: { prefetch?: number },
  ): Promise<ConsumerHandle>;
  /**
   * Publishes to `<exchange>.dead-letter` (a fanout), resolving once the broker confirmed:
   * where one refused entry of a decision batch is parked on its own, so that it neither
   * holds up the batch's other entries nor is lost.
   */
  deadLetter(messages: DeadLetterMessage[]): Promise<void>;
  isConnected(): boolean;
}

/** A message for the dead-letter exchange; `messageId` becomes its AMQP `message_id`. */
export interface DeadLetterMessage {
  routingKey: string;
  messageId: string;
  /** Serialised as JSON. */
  body: unknown;
}

/** Waits `ms`, or less when `signal` aborts (then resolves early, never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
