import type { Pool } from 'pg';
import type { Logger } from '@trx/logging';
import type { Broker } from '@trx/messaging';
import { OutboxRelay } from '@trx/service-kit';
import { outboxStore, type OutboxRecord } from '../../data-access';
import { DecisionQueues } from './decision-queues';

export interface CoordinatorRelayOptions {
  /** The asynchronous pool: a lost "published" mark or claim only re-sends. */
  pool: Pool;
  broker: Broker;
  clock: () => Date;
  logger: Logger;
  /** TRX_OUTBOX_POLL_MS: picks up rows left by a crash, another replica or a failed flush. */
  pollMs: number;
}

/**
 * The coordinator's trx_outbox relay (re-published decisions and their events): the shared
 * lease-based relay, nudged after each commit that wrote rows and polling for the rest. A
 * batch first declares the decision queues it routes to, so a decision for a service that
 * never started still lands in its queue.
 */
export function createOutboxRelay(options: CoordinatorRelayOptions): OutboxRelay<OutboxRecord> {
  const queues = new DecisionQueues(options.broker);
  return new OutboxRelay({
    store: outboxStore(options.pool),
    broker: options.broker,
    logger: options.logger,
    clock: options.clock,
    pollMs: options.pollMs,
    batchSize: 200,
    leaseMs: 5_000,
    beforePublish: (rows) => queues.ensureFor(rows.map((r) => r.routingKey)),
  });
}
