/**
 * @trx/logging — pino loggers: one JSON line per event, with `service` on every line and
 * `transactionId` / `branchId` on every line that concerns them (pass them as bindings).
 * Also `PeriodicJob`, the one shape of a periodic loop (rounds one at a time, a nudge,
 * failures logged, an injectable clock): it lives here because it needs nothing but a
 * logger, and every package with a loop already depends on this one.
 *
 * @example
 *   const log = createLogger({ service: 'account-service', level: 'info' });
 *   log.child({ transactionId, branchId }).info('branch prepared');
 *   const sweeper = new PeriodicJob({ name: 'sweeper', round: sweepOnce, intervalMs: 1000, logger: log }).start();
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Extra fields on every line (e.g. instance id). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: options.service, ...options.base },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'headers.authorization'], remove: true },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that writes nothing, for tests that don't read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export { PeriodicJob, realTimers, type JobTimers, type PeriodicJobOptions } from './periodic-job';
