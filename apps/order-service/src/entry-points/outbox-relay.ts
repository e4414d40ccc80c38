import type { Logger } from '@trx/logging';
import { OutboxRelay, type OutboxPublisher } from '@trx/service-kit';
import type { OutboxRepository, OutboxRow } from '../data-access/outbox-repository';

export interface OrderRelayOptions {
  outbox: OutboxRepository;
  broker: OutboxPublisher;
  logger: Logger;
  /** Poll period; the relay is also nudged when a baseline order commits. */
  pollMs: number;
  batchSize?: number;
  /**
   * How long a nudge waits for more committed orders before flushing; default 20. A flush
   * costs a claim, a publish and a mark: alone per order it would cost more than the order's
   * own branch, and nobody waits for order.confirmed.
   */
  lingerMs?: number;
}

/** Publishes committed outbox rows (order.confirmed) with the shared lease-based relay. */
export function createOrderRelay(options: OrderRelayOptions): OutboxRelay<OutboxRow> {
  return new OutboxRelay({
    store: options.outbox,
    broker: options.broker,
    logger: options.logger,
    pollMs: options.pollMs,
    batchSize: options.batchSize ?? 100,
    lingerMs: options.lingerMs ?? 20,
  });
}
