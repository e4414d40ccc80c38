import type { Logger } from '@trx/logging';
import { messageOf } from './errors';
import { recoverOnce, type RecoveryOptions, type RecoveryReport } from './recovery';

/**
 * Recovery rounds, one at a time: on demand (runOnce, also what tests call) and every
 * `intervalMs` once scheduled. A caller during a round gets a fresh round after it, so a
 * round it asks for never misses a branch prepared before the call.
 */
export class RecoveryLoop {
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly options: RecoveryOptions,
    private readonly logger: Logger,
    private readonly onRound: (report: RecoveryReport) => void,
  ) {}

  runOnce(): Promise<RecoveryReport> {
    const round = () =>
      recoverOnce(this.options).then((report) => {
        this.onRound(report);
        return report;
      });
    const next = (this.running ?? Promise.resolve()).then(round, round);
    this.running = next.catch(() => undefined);
    return next;
  }

  /** A round every `intervalMs` from now on; 0 = none. */
  schedule(intervalMs: number): void {
    if (this.stopped || intervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch((err) => this.logger.warn({ err: messageOf(err) }, 'recovery round failed'))
        .finally(() => this.schedule(intervalMs));
    }, intervalMs);
    this.timer.unref();
  }

  /** No more scheduled rounds; resolves when the round in progress (if any) ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
