/** The order-service process: configuration from the environment, start, stop on SIGTERM/SIGINT. */
import 'reflect-metadata';
import { createLogger } from '@trx/logging';
import { SERVICE_NAME, loadAppConfig } from './config';
import { start } from './start';

async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  const logger = createLogger({
    service: SERVICE_NAME,
    level: config.logLevel,
    base: { instance: config.instanceId },
  });
  const app = await start(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  // Startup failures (bad config, no prepared transactions) are explained on one line.
  process.stderr.write(`order-service failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
