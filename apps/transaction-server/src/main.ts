import 'reflect-metadata';
import { createLogger } from '@trx/logging';
import { loadAppConfig, SERVICE_NAME } from './config';
import { start } from './start';

/** The process entry point: configuration from the environment, stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  const logger = createLogger({
    service: SERVICE_NAME,
    level: config.logLevel,
    base: { instance: config.instanceId },
  });
  const app = await start(config, { logger });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Before the logger exists the error still has to be seen: one JSON line on stderr.
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', msg: 'transaction-server failed to start', err: String((err as Error)?.stack ?? err) })}\n`,
  );
  process.exit(1);
});
