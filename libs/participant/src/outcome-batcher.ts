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
   * How long each call waits for company before it goes (after the previous call came
   * back); default 0 (the next turn of the event loop). Nobody waits for an
   * acknowledgement, so the Participant runs with a second (outcomeLingerMs): shorter
   * lingers make calls that carry a few each (at 75 orders a second, without a linger
   * between calls, a call every 60 ms per service), and a lost or late acknowledgement
   * costs only a re-published decision.
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
 * Acknowledges finished branches with `POST /v1/outcomes`, at most one call in flight and
 * at most one call per `lingerMs` (0: only the current turn of the event loop; the
 * Participant uses 1 s): every call waits that long for company after the one before it,
 * unless a full batch (`maxBatch`) is waiting. So a steady load costs the coordinator one
 * call a second per replica, whatever the rate, instead of a call each time the previous one
 * came back. Nobody waits for an acknowledgement: a lost one only makes the coordinator
 * re-publish the decision (the broker's delivery guarantee), finishing a branch again is
 * harmless, and recovery covers what is left. flush() sends what is queued at once.
 *
 * A call that fails is retried once, in the next call: most failures are one coordinator
 * replica going away (the next call reaches another), and a re-publish costs far more
 * (an outbox row, a broker message, a consumer round and a COMMIT PREPARED lookup per
 * branch). Beyond one retry the coordinator is down, and its re-publish takes over.
 */
export class OutcomeBatcher {
  private queue: Pending[] = [];
  private sending: Promise<void> | undefined;
  /** Ends the current linger early (a full batch, a flush). */
  private endLinger: (() => void) | undefined;
  private flushing = 0;
  private readonly maxBatch: number;

  constructor(private readonly o: OutcomeBatcherOptions) {
    this.maxBatch = o.maxBatch ?? 500;
  }

  add(ack: OutcomeAck): void {
    this.queue.push({ ack, retried: false });
    if (this.queue.length >= this.maxBatch) this.endLinger?.();
    this.sending ??= this.drain();
  }

  /** Resolves once everything queued so far has been sent, or given up on; cuts a linger short. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      while (this.sending) {
        this.endLinger?.();
        await this.sending;
      }
    } finally {
      this.flushing--;
    }
  }

  private async drain(): Promise<void> {
    try {
      // Acknowledgements added meanwhile (in the same turn of the event loop at least) share the call.
      for (let first = true; this.queue.length > 0; first = false) {
        await this.linger(first);
        await this.send(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.sending = undefined;
    }
  }

  /**
   * Waits lingerMs, or less when a full batch is waiting or somebody flushes. Without a
   * linger, only a call after an idle spell waits (for the rest of the turn of the event loop).
   */
  private async linger(first: boolean): Promise<void> {
    const ms = this.o.lingerMs ?? 0;
    if (ms <= 0 || this.flushing > 0 || this.queue.length >= this.maxBatch) {
      if (first) await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      this.endLinger = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (this.endLinger = undefined));
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
