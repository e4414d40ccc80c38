import type { Logger } from '@trx/logging';
import type { OutboxRepository } from '../data-access/outbox-repository';

export interface RelayPublisher {
  publish(messages: { routingKey: string; messageId: string; body: unknown }[]): Promise<void>;
}

export interface OutboxRelayOptions {
  outbox: OutboxRepository;
  broker: RelayPublisher;
  logger: Logger;
  /** Poll period; the relay is also nudged when an order commits. */
  pollMs: number;
  batchSize?: number;
  /**
   * How long a nudge waits for more committed orders before flushing; default 20. A flush
   * is a claim-publish-mark transaction: alone per order it would cost more than the order's
   * own branch, and nobody waits for order.confirmed.
   */
  lingerMs?: number;
}

/**
 * Publishes committed outbox rows (order.confirmed) with publisher confirms, then marks
 * them published. Polls, and flushes shortly after a nudge; one flush at a time.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private lingering: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.schedule();
  }

  /** Asks for a flush soon (an order just committed); nudges within the linger share one flush. */
  nudge(): void {
    if (this.stopped || this.lingering) return;
    this.lingering = setTimeout(() => {
      this.lingering = undefined;
      this.flushSoon();
    }, this.options.lingerMs ?? 20);
  }

  private flushSoon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.flush().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.flushSoon();
      }
    });
  }

  /** Publishes everything visible now, batch by batch; a failure waits for the next poll. */
  async flush(): Promise<void> {
    const { outbox, broker, logger, batchSize = 100 } = this.options;
    try {
      for (;;) {
        const sent = await outbox.publishBatch(batchSize, (rows) =>
          broker.publish(rows.map((r) => ({ routingKey: r.routingKey, messageId: r.id, body: r.body }))),
        );
        if (sent > 0) logger.debug({ sent }, 'outbox rows published');
        if (sent < batchSize || this.stopped) return;
      }
    } catch (err) {
      logger.warn({ err }, 'outbox relay could not publish; retrying on the next poll');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.lingering) clearTimeout(this.lingering);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.flushSoon();
      this.schedule();
    }, this.options.pollMs);
    this.timer.unref();
  }
}
