import type { Logger } from '@trx/logging';
import { messageOf } from './errors';

/**
 * Rounds of periodic work (recovery, retention), one at a time: on demand (runOnce, also
 * what tests call) and every `intervalMs` once scheduled. A caller during a round gets a
 * fresh round after it, so a round it asks for never misses what existed before the call.
 */
export class RoundLoop<R> {
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly round: () => Promise<R>,
    private readonly logger: Logger,
    private readonly onRound: (report: R) => void,
  ) {}

  runOnce(): Promise<R> {
    const round = () =>
      this.round().then((report) => {
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
        .catch((err) => this.logger.warn({ err: messageOf(err) }, `${this.name} round failed`))
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
