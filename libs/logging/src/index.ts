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

/**
 * Lines are gathered and written to stdout together once 4 KiB are waiting or `LOG_FLUSH_MS`
 * has passed, whichever comes first. pino's default writes every line on its own, through
 * libuv's thread pool: a hand-off to a worker thread, a write, and a wake-up of the event loop
 * per line — at one line an order, about a tenth of the order-service's system calls. The
 * lines still waiting are written when the process exits (pino flushes on `exit`), and a
 * line at warn or above (an alarm, an error, an operator's audit line) is written at once with
 * those before it. Only a process killed outright (SIGKILL) loses lines, at most the last
 * `LOG_FLUSH_MS` of info and debug.
 */
export const LOG_FLUSH_MS = 200;
const LOG_BUFFER_BYTES = 4096;
const WARN = 40;

export function createLogger(options: LoggerOptions): Logger {
  const stdout = pino.destination({ dest: 1, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
  return pino(
    {
      hooks: {
        logMethod(args, write, level) {
          write.apply(this, args);
          if (level >= WARN) stdout.flush();
        },
      },
      level: options.level ?? 'info',
      base: { service: options.service, ...options.base },
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'headers.authorization'],
        remove: true,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stdout,
  );
}

/** A logger that writes nothing, for tests that don't read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export { PeriodicJob, realTimers, type JobTimers, type PeriodicJobOptions } from './periodic-job';
