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
}

/**
 * Publishes committed outbox rows (order.confirmed) with publisher confirms, then marks
 * them published. Polls, and flushes at once when nudged; one flush at a time.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.schedule();
  }

  /** Asks for a flush now (an order just committed; its branch commits moments later). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.flush().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.nudge();
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
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.nudge();
      this.schedule();
    }, this.options.pollMs);
    this.timer.unref();
  }
}
