import 'reflect-metadata';
import { runMain } from '@trx/service-kit';
import { loadAppConfig, SERVICE_NAME } from './config';
import { start } from './start';

/** The process entry point: configuration from the environment, stop on SIGTERM/SIGINT. */
runMain({
  service: SERVICE_NAME,
  loadConfig: () => loadAppConfig(process.env),
  start: (config, logger) => start(config, { logger }),
});
