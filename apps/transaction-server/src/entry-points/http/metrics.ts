import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countInDoubt, countUnpublished } from '../../data-access';
import type { CoordinatorMetrics } from '../../domain/context';

/** A registry per app instance, so two coordinators in one test process don't collide. */
export function createMetrics(pool: Pool): { registry: Registry; metrics: CoordinatorMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const begun = new Counter({
    name: 'trx_transactions_begun_total',
    help: 'Transactions begun',
    registers: [registry],
  });
  const decided = new Counter({
    name: 'trx_transactions_decided_total',
    help: 'Transactions decided, by decision and whether a timeout decided it',
    labelNames: ['decision', 'timeout'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'trx_decision_latency_seconds',
    help: 'Time from begin to the decision',
    labelNames: ['decision'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'trx_outbox_backlog',
    help: 'Outbox messages not yet confirmed by the broker',
    registers: [registry],
    async collect() {
      this.set(await countUnpublished(pool).catch(() => -1));
    },
  });
  const refused = new Counter({
    name: 'trx_refusals_total',
    help: 'Requests refused by a bound, by reason (too-many-branches, unknown-service)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const markedInDoubt = new Counter({
    name: 'trx_transactions_marked_in_doubt_total',
    help: 'Transactions marked in-doubt after their last re-publish',
    registers: [registry],
  });
  new Gauge({
    name: 'trx_transactions_in_doubt',
    help: 'Decided transactions marked in-doubt and still unacknowledged: an operator must look (alert when > 0)',
    registers: [registry],
    async collect() {
      this.set(await countInDoubt(pool).catch(() => -1));
    },
  });
  return {
    registry,
    metrics: {
      begun: () => begun.inc(),
      refused: (reason) => refused.inc({ reason }),
      inDoubt: () => markedInDoubt.inc(),
      decided: (decision, reason, seconds) => {
        decided.inc({ decision, timeout: reason === 'timeout' ? 'true' : 'false' });
        latency.observe({ decision }, Math.max(seconds, 0));
      },
    },
  };
}
