import { PeriodicJob, type JobTimers, type Logger } from '@trx/logging';

/** An outbox row as the relay needs it: its id is the message id consumers deduplicate by. */
export interface OutboxMessage {
  id: string;
  routingKey: string;
  body: unknown;
}

/**
 * An app's outbox table, as the relay sees it. Every call is one statement (or one short
 * transaction) of its own: nothing stays open while the relay publishes.
 */
export interface OutboxStore<M extends OutboxMessage = OutboxMessage> {
  /**
   * Claims up to `limit` unpublished rows nobody holds a lease on (none, or one that ran out
   * by `now`) until `leaseUntil`, oldest first; rows another relay is claiming are skipped.
   */
  claim(limit: number, now: Date, leaseUntil: Date): Promise<M[]>;
  /** The broker confirmed them: they are done (marked, or deleted). */
  markPublished(ids: string[], now: Date): Promise<void>;
  /** The publish failed: the lease is given back, so the next round takes them at once. */
  release(ids: string[]): Promise<void>;
}

export interface OutboxPublisher {
  /** Resolves once the broker confirmed every message. */
  publish(messages: { routingKey: string; messageId: string; body: unknown }[]): Promise<void>;
}

export interface OutboxRelayOptions<M extends OutboxMessage> {
  store: OutboxStore<M>;
  broker: OutboxPublisher;
  logger: Logger;
  /** Period of the poll that picks up what no nudge announced (a crash, another replica); 0 = none. */
  pollMs: number;
  clock?: () => Date;
  /** Rows per claim (default 200). */
  batchSize?: number;
  /** How long a claim keeps other relays off its rows (default 5 s); a publish takes milliseconds. */
  leaseMs?: number;
  /** How long a nudge waits for more committed rows before the round starts (default 0). */
  lingerMs?: number;
  /** Runs before a batch is published, e.g. to declare the queues its routing keys need. */
  beforePublish?: (rows: M[]) => Promise<void>;
  timers?: JobTimers;
}

/**
 * Moves committed outbox rows to the broker: claim a batch with a lease (one statement;
 * replicas never send the same rows while it holds), publish with confirms, and only then
 * mark them published. No transaction is held open across the publish: a relay that dies
 * holding a claim only delays its rows until the lease runs out, and one that dies between
 * the publish and the mark sends the batch again; consumers deduplicate by message id.
 *
 * A round publishes everything visible, batch by batch; rounds run one at a time, on the
 * poll, on a nudge (a row was just committed: under load one batch carries the rows of many
 * requests), and on `runOnce()`.
 */
export class OutboxRelay<M extends OutboxMessage = OutboxMessage> {
  private readonly job: PeriodicJob<number>;
  private readonly clock: () => Date;
  private readonly batchSize: number;

  constructor(private readonly options: OutboxRelayOptions<M>) {
    this.clock = options.clock ?? (() => new Date());
    this.batchSize = options.batchSize ?? 200;
    this.job = new PeriodicJob({
      name: 'outbox relay',
      round: () => this.publishAll(),
      intervalMs: options.pollMs,
      logger: options.logger,
      timers: options.timers,
    });
  }

  /** Starts the poll. */
  start(): this {
    this.job.start();
    return this;
  }

  /** Rows were just committed: publish soon, without waiting for the poll. */
  nudge(): void {
    this.job.nudge(this.options.lingerMs ?? 0);
  }

  /** Publishes every unpublished row now (after the round in progress); returns how many. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  /** Ends the poll and nudges; resolves when the round in progress has ended. */
  stop(): Promise<void> {
    return this.job.stop();
  }

  private async publishAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.publishBatch();
      total += sent;
      if (sent < this.batchSize) return total;
    }
  }

  /** One batch; a failed publish releases the claim and ends the round (the next one retries). */
  private async publishBatch(): Promise<number> {
    const { store, broker, logger, beforePublish } = this.options;
    const now = this.clock();
    const rows = await store.claim(
      this.batchSize,
      now,
      new Date(now.getTime() + (this.options.leaseMs ?? 5_000)),
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    try {
      if (beforePublish) await beforePublish(rows);
      await broker.publish(rows.map((r) => ({ routingKey: r.routingKey, messageId: r.id, body: r.body })));
    } catch (err) {
      await store.release(ids);
      logger.warn({ err, messages: rows.length }, 'outbox publish failed; will retry');
      return 0;
    }
    await store.markPublished(ids, this.clock());
    logger.debug({ sent: rows.length }, 'outbox rows published');
    return rows.length;
  }
}
