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
