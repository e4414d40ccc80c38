import type { Logger } from '@trx/logging';
import { isCoordinatorUnavailable, type CoordinatorApi, type Outcome } from '@trx/protocol';
import { messageOf } from './errors';

/** One finished branch, to be acknowledged to the coordinator. */
export interface OutcomeAck {
  transactionId: string;
  gid: string;
  outcome: Outcome;
}

export interface OutcomeBatcherOptions {
  coordinator: CoordinatorApi;
  logger: Logger;
  /** Most acknowledgements in one call; default 500. */
  maxBatch?: number;
  /**
   * How long the first acknowledgement of a call waits for company; default 0 (the next
   * turn of the event loop). Nobody waits for an acknowledgement, so the Participant runs
   * with a second (outcomeLingerMs): at moderate load shorter lingers make calls that carry
   * one or two each, and a lost or late acknowledgement costs only a re-published decision.
   */
  lingerMs?: number;
  /** After each call: how many it carried and how they fared (for metrics). */
  onSent?(report: { sent: number; recorded: number; rejected: number; failed: number }): void;
}

interface Pending {
  ack: OutcomeAck;
  retried: boolean;
}

/**
 * Acknowledges finished branches with `POST /v1/outcomes`, at most one call in flight: the
 * first acknowledgement waits `lingerMs` for company (0: only the current turn of the event
 * loop; the Participant uses 1 s) and whatever finishes while a call is out rides in the
 * next one, so batches grow with the load by themselves. Nobody waits for an acknowledgement:
 * a lost one only makes the coordinator re-publish the decision (the broker's delivery
 * guarantee), finishing a branch again is harmless, and recovery covers what is left.
 *
 * A call that fails is retried once, in the next call: most failures are one coordinator
 * replica going away (the next call reaches another), and a re-publish costs far more
 * (an outbox row, a broker message, a consumer round and a COMMIT PREPARED lookup per
 * branch). Beyond one retry the coordinator is down, and its re-publish takes over.
 */
export class OutcomeBatcher {
  private queue: Pending[] = [];
  private sending: Promise<void> | undefined;
  private readonly maxBatch: number;

  constructor(private readonly o: OutcomeBatcherOptions) {
    this.maxBatch = o.maxBatch ?? 500;
  }

  add(ack: OutcomeAck): void {
    this.queue.push({ ack, retried: false });
    this.sending ??= this.drain();
  }

  /** Resolves once everything queued so far has been sent, or given up on. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async drain(): Promise<void> {
    // Acknowledgements added in the same turn of the event loop (or the linger) share the first call.
    const linger = this.o.lingerMs ?? 0;
    await new Promise<void>((resolve) => (linger > 0 ? setTimeout(resolve, linger) : setImmediate(resolve)));
    try {
      while (this.queue.length > 0) await this.send(this.queue.splice(0, this.maxBatch));
    } finally {
      this.sending = undefined;
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    const report = { sent: batch.length, recorded: 0, rejected: 0, failed: 0 };
    try {
      const answer = await this.o.coordinator.recordOutcomes({ outcomes: batch.map((p) => p.ack) });
      report.recorded = answer.recorded;
      report.rejected = answer.rejected.length;
      if (answer.rejected.length > 0) {
        this.o.logger.warn(
          { rejected: answer.rejected.slice(0, 20), count: answer.rejected.length },
          'the coordinator rejected acknowledgements',
        );
      }
    } catch (err) {
      const retry = isCoordinatorUnavailable(err) ? batch.filter((p) => !p.retried) : [];
      this.queue.push(...retry.map((p) => ({ ack: p.ack, retried: true })));
      report.failed = batch.length - retry.length;
      this.o.logger.warn(
        { err: messageOf(err), count: batch.length, retrying: retry.length },
        'could not acknowledge outcomes; the coordinator re-publishes what it did not hear',
      );
    }
    this.o.onSent?.(report);
  }
}
