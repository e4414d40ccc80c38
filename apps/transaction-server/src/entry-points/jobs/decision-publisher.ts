import type { Pool } from 'pg';
import { PeriodicJob, type Logger } from '@trx/logging';
import type { Broker } from '@trx/messaging';
import { markAnnounced } from '../../data-access';
import { announcementMessages, type Announcement } from '../../domain/event-builder';
import { DecisionQueues } from './decision-queues';

/** Transactions one round announces at most (a round's messages go out in one confirmed publish). */
const ROUND = 500;

/**
 * Announces committed decisions: the row is its own outbox (protocol v2). A decision is
 * handed over once its local transaction committed; one round publishes every decision
 * waiting then — per participant service one message carrying all their branches, per
 * transaction its lifecycle event and its initiator's events — with publisher confirms,
 * then marks the rows announced in one statement on the asynchronous pool.
 *
 * At most one round is out at a time, so under load a round carries the decisions of every
 * request that committed while the previous one was with the broker: the cost of a publish
 * and a mark is shared by many orders, and no decision waits for a timer. A round that fails
 * (broker down) or a crash before it only delays the decision: the row's re-publish time
 * comes, and the sweeper sends it (and the events, since the row is still unannounced).
 */
export class DecisionPublisher {
  private waiting: Announcement[] = [];
  /** Rounds on demand only: each one publishes every decision waiting when it starts. */
  private readonly job: PeriodicJob<void>;
  private readonly queues: DecisionQueues;

  constructor(
    private readonly asyncPool: Pool,
    private readonly broker: Broker,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    /** False in tests that play a coordinator dying between commit and publish. */
    private readonly enabled: boolean,
    /** TRX_LIFECYCLE_EVENTS=all: a transaction's end has an event of its own. */
    private readonly completionEvents: boolean,
    /** TRX_PUBLISH_LINGER_MS: how long a round's first decision waits for company. */
    private readonly lingerMs: number,
  ) {
    this.queues = new DecisionQueues(broker);
    this.job = new PeriodicJob({
      name: 'decision publisher',
      round: () => this.publishWaiting(),
      intervalMs: 0,
      logger,
    });
  }

  announce(announcements: Announcement[]): void {
    if (!this.enabled || announcements.length === 0) return;
    this.waiting.push(...announcements);
    // The first decision of an idle publisher waits lingerMs for company; while a round is
    // out, the next one follows it at once.
    this.job.nudge(this.lingerMs);
  }

  /** Publishes no more after a commit; waits for the rounds in flight (graceful stop). */
  stop(): Promise<void> {
    return this.job.stop();
  }

  private async publishWaiting(): Promise<void> {
    while (this.waiting.length > 0) await this.round(this.waiting.splice(0, ROUND));
  }

  private async round(batch: Announcement[]): Promise<void> {
    const messages = announcementMessages(batch, this.clock());
    try {
      await this.queues.ensureFor(messages.map((m) => m.routingKey));
      await this.broker.publish(
        messages.map((m) => ({ routingKey: m.routingKey, messageId: m.id, body: m.body })),
      );
    } catch (err) {
      this.logger.warn(
        { err, transactions: batch.length },
        'decisions not published now; the re-publish sends them when due',
      );
      return;
    }
    const ids = batch.map((a) => a.transaction.id);
    // With completion events on, an end needs its event: the re-publish ends those instead.
    await markAnnounced(this.asyncPool, ids, this.clock(), !this.completionEvents).catch((err: unknown) =>
      this.logger.warn(
        { err, transactions: ids.length },
        'announced, not marked; the re-publish announces again',
      ),
    );
  }
}
