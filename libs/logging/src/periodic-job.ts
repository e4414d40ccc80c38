import type { Logger } from 'pino';

/**
 * The timers a periodic job waits with. Tests pass a manual clock and advance it instead of
 * sleeping; the real ones never keep the process alive.
 */
export interface JobTimers {
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: JobTimers = {
  setTimeout(fire, ms) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PeriodicJobOptions<R> {
  /** Names the job in the log line of a failed round. */
  name: string;
  round: () => Promise<R>;
  /** Pause between the end of a round and the next timed one; 0 = rounds only on demand. */
  intervalMs: number;
  logger: Logger;
  timers?: JobTimers;
}

/**
 * Rounds of periodic work, one at a time: every `intervalMs` once started, on `runOnce()`
 * (what tests and a final flush call) and soon after a `nudge()`. A round asked for while
 * another runs starts after it, so it sees everything that existed when it was asked for.
 * A failed timed or nudged round is logged and the next one retries; `stop()` ends the
 * timers and waits for the round in progress.
 *
 * @example
 *   const sweeper = new PeriodicJob({ name: 'sweeper', round: () => sweepOnce(ctx), intervalMs: 1000, logger }).start();
 *   await sweeper.runOnce(); // a test drives one round
 *   await sweeper.stop();
 */
export class PeriodicJob<R = unknown> {
  private tail: Promise<void> = Promise.resolve();
  private active = 0;
  private timer: unknown;
  private lingering: unknown;
  /** A nudge is waiting for a round that has not started yet: further nudges join it. */
  private asked = false;
  private stopped = false;
  private readonly timers: JobTimers;

  constructor(private readonly options: PeriodicJobOptions<R>) {
    this.timers = options.timers ?? realTimers;
  }

  /** Timed rounds from now on (none when intervalMs is 0). */
  start(): this {
    this.arm();
    return this;
  }

  /** One round, after the one in progress if any; its failure is the caller's. */
  runOnce(): Promise<R> {
    this.active += 1;
    const round = () => {
      this.asked = false;
      return this.options.round();
    };
    const next = this.tail.then(round);
    this.tail = next.then(
      () => this.settled(),
      () => this.settled(),
    );
    return next;
  }

  /**
   * A round soon: right after the one in progress (it was the wait for company), else after
   * `lingerMs` so that nudges close together share one round.
   */
  nudge(lingerMs = 0): void {
    if (this.stopped || this.asked) return;
    this.asked = true;
    if (this.active > 0 || lingerMs <= 0) {
      this.runLogged();
      return;
    }
    this.lingering = this.timers.setTimeout(() => {
      this.lingering = undefined;
      this.runLogged();
    }, lingerMs);
  }

  /** No more timed or nudged rounds; resolves when the rounds already asked for have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    if (this.lingering !== undefined) {
      this.timers.clearTimeout(this.lingering);
      this.lingering = undefined;
      this.asked = false;
    }
    await this.tail;
  }

  private settled(): void {
    this.active -= 1;
  }

  private runLogged(): Promise<void> {
    return this.runOnce().then(
      () => undefined,
      (err: unknown) =>
        this.options.logger.warn(
          { err, job: this.options.name },
          `${this.options.name} round failed; the next round retries`,
        ),
    );
  }

  private arm(): void {
    if (this.stopped || this.options.intervalMs <= 0) return;
    this.timer = this.timers.setTimeout(() => {
      void this.runLogged().finally(() => this.arm());
    }, this.options.intervalMs);
  }
}
