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
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    app.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'product-service failed to start', err: String(err) }));
  process.exit(1);
});
