/**
 * Errors of @trx/messaging. Check them by `name`: two copies of this library can exist in
 * a workspace. Every publish failure is retryable: the caller (an outbox) keeps the
 * messages and sends them again, and consumers are idempotent by `messageId`.
 */

export type PublishFailure = 'nack' | 'unroutable' | 'disconnected';

/** The broker did not confirm a message: nacked, returned as unroutable, or the connection was lost. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  readonly retryable = true;
  constructor(
    readonly reason: PublishFailure,
    readonly messageId: string,
    readonly routingKey: string,
    detail?: string,
  ) {
    super(`message ${messageId} (${routingKey}) was not confirmed: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

/** No connection to the broker right now; the Broker keeps reconnecting in the background. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  readonly retryable = true;
  constructor(
    readonly operation: string,
    detail?: string,
  ) {
    super(`RabbitMQ is not connected; cannot ${operation}${detail ? `: ${detail}` : ''}`);
  }
}

/**
 * A queue this library declares exists with other arguments (RabbitMQ 406 PRECONDITION_FAILED),
 * typically one declared by a trx from before the bounded, dead-lettered decision queues.
 * Not retryable: the queue has to be drained and deleted, or the platform moved to a fresh
 * vhost (docs/deploy.md, "Bounded queues and dead letters").
 */
export class TopologyMismatchError extends Error {
  override readonly name = 'TopologyMismatchError';
  readonly retryable = false;
  constructor(
    readonly queue: string,
    detail?: string,
  ) {
    super(
      `queue ${queue} exists with other arguments than this trx declares` +
        `${detail ? ` (${detail})` : ''}; see docs/deploy.md, "Bounded queues and dead letters"`,
    );
  }
}

/** The broker URL is not an amqp:// or amqps:// URL. The URL itself is not repeated: it holds a password. */
export class InvalidBrokerUrlError extends Error {
  override readonly name = 'InvalidBrokerUrlError';
  readonly retryable = false;
  constructor() {
    super('the broker URL is not an amqp:// or amqps:// URL');
  }
}
