import { createLogger, type Logger } from '@trx/logging';

/** What main needs of an app's configuration. */
export interface MainConfig {
  logLevel: string;
  instanceId: string;
  shutdownTimeoutMs: number;
}

export interface MainOptions<C extends MainConfig> {
  /** The app's name, on every log line and in the fatal line. */
  service: string;
  /** Reads the configuration; the app passes process.env in (libraries never read it). */
  loadConfig: () => C;
  /** Starts the app with main's logger. */
  start: (config: C, logger: Logger) => Promise<{ stop(): Promise<void> }>;
}

/** Grace beyond SHUTDOWN_TIMEOUT_MS before a stop that hangs is cut short with exit code 1. */
const FORCE_EXIT_GRACE_MS = 5000;

/**
 * The process entry point: configuration, start, and on the first SIGTERM/SIGINT a
 * graceful stop, then exit 0 (1 when stopping fails or outlasts SHUTDOWN_TIMEOUT_MS + 5 s).
 * A failed start is one JSON line on stderr and exit code 1.
 *
 * @example
 *   runMain({
 *     service: SERVICE_NAME,
 *     loadConfig: () => loadAppConfig(process.env),
 *     start: (config, logger) => start(config, { logger }),
 *   });
 */
export function runMain<C extends MainConfig>(options: MainOptions<C>): void {
  startAndWatchSignals(options).catch((err: unknown) => {
    // Before the logger exists the error still has to be seen: one JSON line on stderr.
    const line = { level: 'fatal', msg: `${options.service} failed to start`, err: stackOf(err) };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    process.exit(1);
  });
}

async function startAndWatchSignals<C extends MainConfig>(o: MainOptions<C>): Promise<void> {
  const config = o.loadConfig();
  const logger = createLogger({
    service: o.service,
    level: config.logLevel,
    base: { instance: config.instanceId },
  });
  const app = await o.start(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + FORCE_EXIT_GRACE_MS);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function stackOf(err: unknown): string {
  return String((err as Error | undefined)?.stack ?? err);
}
