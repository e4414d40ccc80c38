import { ensureDatabase, redactUrl, runMigrationsLocked } from '@trx/db';
import { createLogger, type Logger } from '@trx/logging';
import { Broker } from '@trx/messaging';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { createDirectory, createServiceCaller, registerService } from '@trx/discovery';
import { Participant } from '@trx/participant';
import { SERVICE_NAME, type AppConfig } from './config';
import { createAccountDataSource } from './data-access/data-source';
import { accountRoutes } from './entry-points/account-routes';
import { createRegistry, startHttpServer } from './entry-points/http-server';

export interface RunningApp {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: () => Date;
  logger?: Logger;
}

/**
 * Starts the account-service: database (created and migrated), broker, coordinator client,
 * participant runtime (decision consumer + recovery), HTTP API, discovery registration.
 * `stop()` undoes it in reverse order, letting requests and branches in flight finish.
 */
export async function start(
  config: AppConfig,
  options: StartOptions = {},
): Promise<RunningApp & { participant: Participant }> {
  const logger =
    options.logger ??
    createLogger({ service: SERVICE_NAME, level: config.logLevel, base: { instance: config.instanceId } });
  const cleanup: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of cleanup.reverse().splice(0)) {
      await step().catch((err) => logger.warn({ err }, 'error while stopping'));
    }
  };
  try {
    logger.info({ database: redactUrl(config.databaseUrl) }, 'starting');
    await ensureDatabase(config.databaseUrl);
    const dataSource = createAccountDataSource(config.databaseUrl, config.dbPoolSize, config.instanceId);
    await dataSource.initialize();
    cleanup.push(() => dataSource.destroy());
    await runMigrationsLocked(dataSource);

    const broker = await Broker.connect({
      url: config.amqpUrl,
      exchange: config.exchange,
      logger,
      connectionName: config.instanceId,
    });
    cleanup.push(() => broker.close());
    await broker.declareExchange();

    const directory = createDirectory({
      consulUrl: config.consulUrl,
      consulToken: config.consulToken,
      staticServices: config.serviceUrls,
      logger,
    });
    cleanup.push(() => directory.close());
    const caller = createServiceCaller({ directory, timeoutMs: config.callTimeoutMs });
    cleanup.push(() => caller.close());
    const coordinator = createCoordinatorClient({ caller, service: config.coordinatorService });

    const registry = createRegistry(SERVICE_NAME);
    const participant = await Participant.start({
      service: SERVICE_NAME,
      instance: config.instanceId,
      dataSource,
      coordinator,
      broker,
      logger,
      recoveryIntervalMs: config.recoveryIntervalMs,
      prefetch: config.prefetch,
      clock: options.clock,
      metricsRegistry: registry,
    });
    cleanup.push(() => participant.stop());

    const http = await startHttpServer({
      service: SERVICE_NAME,
      host: config.host,
      port: config.port,
      logger,
      routes: accountRoutes(dataSource, participant),
      registry,
      checks: {
        database: async () => void (await dataSource.query('SELECT 1')),
        broker: async () => {
          if (!broker.isConnected()) throw new Error('not connected to RabbitMQ');
        },
        coordinator: async () => {
          const res = await caller.request(config.coordinatorService, { method: 'GET', url: '/health/live' });
          if (res.status !== 200) throw new Error(`answered ${res.status}`);
        },
      },
    });
    cleanup.push(() => http.close(config.shutdownTimeoutMs));

    const registration = await registerService({
      consulUrl: config.consulUrl,
      consulToken: config.consulToken,
      service: SERVICE_NAME,
      instanceId: config.instanceId,
      address: config.advertiseAddress,
      port: http.port,
      healthPath: '/health/ready',
      logger,
    });
    cleanup.push(() => registration.deregister());
    logger.info({ port: http.port }, 'account-service started');
    return { port: http.port, url: `http://127.0.0.1:${http.port}`, participant, stop };
  } catch (err) {
    logger.error({ err }, 'start failed');
    await stop();
    throw err;
  }
}
