/**
 * @trx/messaging — RabbitMQ for trx: one connection that reconnects with backoff after a
 * broker restart, the `trx-events` topology (durable topic exchange whose unroutable
 * messages land in the bounded `<exchange>.unroutable`; bounded decision queues whose
 * rejected deliveries are dead-lettered to the bounded `<exchange>.dead-letter`), persistent
 * JSON messages published on a confirm channel (a publish resolves only once the broker
 * confirmed every message) stamped with the connection's broker user as `user_id`, and
 * consumers that re-subscribe after a reconnect and coalesce their acks (a finished delivery
 * is acked within 50 ms, many in one frame; never one whose handler is still running).
 *
 * @example
 *   const broker = await Broker.connect({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange: 'trx-events', logger });
 *   await broker.declareExchange();
 *   const queue = await broker.declareDecisionQueue('account-service');
 *   await broker.publish([{ routingKey: 'decision.account-service', messageId: randomUUID(), body: decision }]);
 *   // m.userId: the publisher's broker user, validated by RabbitMQ; 'reject' dead-letters the message.
 *   const sub = await broker.consume(queue, async (m) => (await handle(m.body)) ? 'ack' : 'reject');
 *   // One refused entry of a decision batch, parked alone in `<exchange>.dead-letter`:
 *   await broker.deadLetter([{ routingKey: 'decision.account-service', messageId: randomUUID(), body: { reason, entry } }]);
 *   await sub.cancel();
 *   await broker.close();
 */
export { Broker } from './broker';
export { amqpCredentials, brokerUserOf, type AmqpCredentials } from './amqp-url';
export { DEFAULT_DEAD_LETTER_MAX_LENGTH, DEFAULT_DECISION_QUEUE_MAX_LENGTH } from './topology';
export {
  PublishError,
  BrokerUnavailableError,
  TopologyMismatchError,
  InvalidBrokerUrlError,
  type PublishFailure,
} from './errors';
export type {
  BrokerOptions,
  OutgoingMessage,
  IncomingMessage,
  HandlerResult,
  MessageHandler,
  ConsumeOptions,
  Subscription,
} from './types';
