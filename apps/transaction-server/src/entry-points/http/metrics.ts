import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { scrapeSampler } from '@trx/db';
import { countUnpublished, summarizeUnacknowledged } from '../../data-access';
import type { CoordinatorMetrics } from '../../domain/context';

/** What the gauges read at scrape time. */
export interface MetricSources {
  pool: Pool;
  /** The coordinator's clock: ages are measured by it, as decided_at and in_doubt_since were written. */
  clock: () => Date;
  broker: { isConnected(): boolean };
}

/** A registry per app instance, so two coordinators in one test process don't collide. */
export function createMetrics(sources: MetricSources): { registry: Registry; metrics: CoordinatorMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const begun = new Counter({ name: 'trx_transactions_begun_total', help: 'Transactions begun', registers });
  const decided = new Counter({
    name: 'trx_transactions_decided_total',
    help: 'Transactions decided, by decision and whether a timeout decided it',
    labelNames: ['decision', 'timeout'],
    registers,
  });
  const latency = new Histogram({
    name: 'trx_decision_latency_seconds',
    help: 'Time from begin to the decision',
    labelNames: ['decision'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const refused = new Counter({
    name: 'trx_refusals_total',
    help: 'Requests refused by a bound, by reason (too-many-branches, unknown-service)',
    labelNames: ['reason'],
    registers,
  });
  const republished = new Counter({
    name: 'trx_decisions_republished_total',
    help: 'Decisions re-published because a branch had not acknowledged them (one per transaction per re-publish)',
    registers,
  });
  const markedInDoubt = new Counter({
    name: 'trx_transactions_marked_in_doubt_total',
    help: 'Transactions marked in-doubt after their last re-publish',
    registers,
  });
  registerScrapeGauges(registry, sources);
  return {
    registry,
    metrics: {
      begun: () => begun.inc(),
      refused: (reason) => refused.inc({ reason }),
      republished: (count) => republished.inc(count),
      inDoubt: () => markedInDoubt.inc(),
      decided: (decision, reason, seconds) => {
        decided.inc({ decision, timeout: reason === 'timeout' ? 'true' : 'false' });
        latency.observe({ decision }, Math.max(seconds, 0));
      },
    },
  };
}

/**
 * Gauges computed at scrape time. The database ones are bounded (scrapeSampler) and say -1
 * when the coordinator cannot read them; the three about unacknowledged decisions share one query.
 */
function registerScrapeGauges(registry: Registry, { pool, clock, broker }: MetricSources): void {
  const registers = [registry];
  const backlog = scrapeSampler(() => countUnpublished(pool));
  const unacknowledged = scrapeSampler(() => summarizeUnacknowledged(pool, clock()));
  new Gauge({
    name: 'trx_outbox_backlog',
    help: 'Outbox messages not yet confirmed by the broker (-1: cannot count them)',
    registers,
    async collect() {
      this.set((await backlog()) ?? -1);
    },
  });
  new Gauge({
    name: 'trx_transactions_in_doubt',
    help: 'Decided transactions marked in-doubt and still unacknowledged: an operator must look (alert when > 0)',
    registers,
    async collect() {
      this.set((await unacknowledged())?.inDoubt ?? -1);
    },
  });
  new Gauge({
    name: 'trx_transactions_in_doubt_oldest_age_seconds',
    help: 'now - in_doubt_since of the oldest in-doubt transaction, by the coordinator clock (0: none)',
    registers,
    async collect() {
      this.set((await unacknowledged())?.inDoubtOldestAgeSeconds ?? -1);
    },
  });
  new Gauge({
    name: 'trx_decisions_unacknowledged_oldest_age_seconds',
    help: 'now - decided_at of the oldest decision some branch has not acknowledged, by the coordinator clock (0: none)',
    registers,
    async collect() {
      this.set((await unacknowledged())?.oldestAgeSeconds ?? -1);
    },
  });
  new Gauge({
    name: 'trx_broker_connected',
    help: 'Whether the RabbitMQ connection and its confirm channel are open (1) or not (0)',
    registers,
    collect() {
      this.set(broker.isConnected() ? 1 : 0);
    },
  });
}
