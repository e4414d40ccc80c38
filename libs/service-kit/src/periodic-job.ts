import type { Logger } from '@trx/logging';

export interface PeriodicJob {
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs` (0 = never), one round at a time: the next round is
 * scheduled when the previous one ends, so a slow round never overlaps the next.
 */
export function startPeriodic(
  name: string,
  intervalMs: number,
  work: () => Promise<unknown>,
  logger: Logger,
): PeriodicJob {
  let stopped = intervalMs <= 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = work()
        .then(() => undefined)
        .catch((err: unknown) => logger.warn({ err, job: name }, 'periodic job failed; next round retries'))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
