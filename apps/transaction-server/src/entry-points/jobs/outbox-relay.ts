import type { Pool } from 'pg';
import type { Logger } from '@trx/logging';
import type { Broker } from '@trx/messaging';
import { claimUnpublished, markPublished, releaseClaim } from '../../data-access';
import { DecisionQueues } from './decision-queues';

const BATCH = 200;
/** How long a claim keeps other relays off its rows; a publish takes milliseconds. */
const LEASE_MS = 5_000;

/**
 * Moves outbox rows to the broker: claim them with a lease (one statement; replicas never
 * send the same rows at once while the lease holds), publish with confirms, and only then
 * mark them published — two round trips a batch, and no transaction held open across the
 * publish. A crash in between re-sends the batch once the lease ran out; consumers
 * deduplicate by message id.
 *
 * One loop per process does it: a flush after a commit only notes that work is pending and
 * wakes the loop, which takes whatever is unpublished then. Under load one batch carries
 * the rows of many requests, so a row costs a fraction of a claim, a publish confirm and a
 * commit. The pool is the asynchronous one: a lost "published" mark only re-sends.
 */
export class OutboxRelay {
  private readonly queues: DecisionQueues;
  /** Batches run one at a time in a process (the loop and the poller alike). */
  private serial: Promise<unknown> = Promise.resolve();
  private pending = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly broker: Broker,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly flushAfterCommit: boolean,
  ) {
    this.queues = new DecisionQueues(broker);
  }

  /** Rows were just committed: publish soon, without waiting for the poller (latency). */
  flush(ids: string[]): void {
    if (!this.flushAfterCommit || ids.length === 0) return;
    this.pending = true;
    this.loop ??= this.run();
  }

  /** Publishes every unpublished row (left by a crash, another replica or a failed flush); returns how many. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.batch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Waits for the loop to run out of work (graceful stop). */
  async drain(): Promise<void> {
    await this.loop;
  }

  /**
   * Round again while a batch came back full or flushes arrived meanwhile: `pending` is
   * cleared before the claim, so a row committed after the claim's snapshot sets it again.
   * The last check and the end of the loop happen with no await between them, so a flush
   * either is seen by the loop or starts a new one.
   */
  private async run(): Promise<void> {
    try {
      let full = false;
      while (this.pending || full) {
        this.pending = false;
        full = (await this.batch()) === BATCH;
      }
    } catch (err) {
      this.logger.warn({ err }, 'outbox flush failed; the poller retries');
    } finally {
      this.loop = undefined;
    }
  }

  private batch(): Promise<number> {
    const next = this.serial.then(() => this.publishBatch());
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async publishBatch(): Promise<number> {
    const now = this.clock();
    const rows = await claimUnpublished(this.pool, BATCH, now, new Date(now.getTime() + LEASE_MS));
    if (rows.length === 0) return 0;
    const claimed = rows.map((r) => r.id);
    try {
      await this.queues.ensureFor(rows.map((r) => r.routingKey));
      await this.broker.publish(
        rows.map((r) => ({ routingKey: r.routingKey, messageId: r.id, body: r.body })),
      );
    } catch (err) {
      await releaseClaim(this.pool, claimed);
      this.logger.warn({ err, messages: rows.length }, 'outbox publish failed; will retry');
      return 0;
    }
    await markPublished(this.pool, claimed, this.clock());
    return rows.length;
  }
}
