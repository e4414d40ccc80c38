import { PeriodicJob, type Logger } from '@trx/logging';

export { PeriodicJob, realTimers, type JobTimers, type PeriodicJobOptions } from '@trx/logging';

/**
 * A started PeriodicJob running `round` every `intervalMs` (0 = never). The helper itself
 * lives in @trx/logging, the lowest lib every owner of a loop (discovery, participant, the
 * apps) already depends on; service-kit re-exports it for the apps.
 */
export function startPeriodic<R>(
  name: string,
  intervalMs: number,
  round: () => Promise<R>,
  logger: Logger,
): PeriodicJob<R> {
  return new PeriodicJob({ name, intervalMs, round, logger }).start();
}
