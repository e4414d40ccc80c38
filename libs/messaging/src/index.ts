/**
 * @trx/messaging — RabbitMQ for trx: one connection that reconnects with backoff after a
 * broker restart, the `trx-events` topology (durable topic exchange whose unroutable
 * messages land in `<exchange>.unroutable`), persistent JSON messages published on a
 * confirm channel (a publish resolves only once the broker confirmed every message), and
 * consumers that re-subscribe after a reconnect and coalesce their acks (a finished delivery
 * is acked within 50 ms, many in one frame; never one whose handler is still running).
 *
 * @example
 *   const broker = await Broker.connect({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange: 'trx-events', logger });
 *   await broker.declareExchange();
 *   const queue = await broker.declareDecisionQueue('account-service');
 *   await broker.publish([{ routingKey: 'decision.account-service', messageId: randomUUID(), body: decision }]);
 *   const sub = await broker.consume(queue, async (m) => (await handle(m.body)) ? 'ack' : 'requeue');
 *   await sub.cancel();
 *   await broker.close();
 */
export { Broker } from './broker';
export { PublishError, BrokerUnavailableError, type PublishFailure } from './errors';
export type {
  BrokerOptions,
  OutgoingMessage,
  IncomingMessage,
  HandlerResult,
  MessageHandler,
  ConsumeOptions,
  Subscription,
} from './types';
