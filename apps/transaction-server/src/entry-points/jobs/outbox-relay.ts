import type { Pool } from 'pg';
import type { Logger } from '@trx/logging';
import type { Broker } from '@trx/messaging';
import { claimUnpublished, inTransaction, markAttempted, markPublished } from '../../data-access';

const BATCH = 200;
const DECISION_PREFIX = 'decision.';

/**
 * Moves outbox rows to the broker: claim (FOR UPDATE SKIP LOCKED, so replicas never send the
 * same batch at once), publish with confirms, and only then mark them published. A crash in
 * between re-sends the batch; consumers deduplicate by message id.
 */
export class OutboxRelay {
  private readonly declaredQueues = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly pool: Pool,
    private readonly broker: Broker,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly flushAfterCommit: boolean,
  ) {}

  /** Publishes the rows a decision just wrote, without waiting for the poller (latency). */
  flush(ids: string[]): void {
    if (!this.flushAfterCommit || ids.length === 0) return;
    const p = this.publishBatch(ids).catch((err: unknown) =>
      this.logger.warn({ err }, 'outbox flush failed; the poller retries'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Publishes every unpublished row (left by a crash, another replica or a failed flush); returns how many. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Waits for the flushes already started (graceful stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async publishBatch(ids?: string[]): Promise<number> {
    return inTransaction(this.pool, async (db) => {
      const rows = await claimUnpublished(db, BATCH, ids);
      if (rows.length === 0) return 0;
      const claimed = rows.map((r) => r.id);
      try {
        await this.ensureDecisionQueues(rows.map((r) => r.routingKey));
        await this.broker.publish(
          rows.map((r) => ({ routingKey: r.routingKey, messageId: r.id, body: r.body })),
        );
      } catch (err) {
        await markAttempted(db, claimed);
        this.logger.warn({ err, messages: rows.length }, 'outbox publish failed; will retry');
        return 0;
      }
      await markPublished(db, claimed, this.clock());
      return rows.length;
    });
  }

  /** A decision for a service that never started must still land in its queue, not the unroutable one. */
  private async ensureDecisionQueues(routingKeys: string[]): Promise<void> {
    for (const key of routingKeys) {
      if (!key.startsWith(DECISION_PREFIX)) continue;
      const service = key.slice(DECISION_PREFIX.length);
      if (this.declaredQueues.has(service)) continue;
      await this.broker.declareDecisionQueue(service);
      this.declaredQueues.add(service);
    }
  }
}
