import type { DataSource } from 'typeorm';
import { ensureDatabase, redactUrl, runMigrationsLocked } from '@trx/db';
import { createLogger, type Logger } from '@trx/logging';
import { Broker } from '@trx/messaging';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { createDirectory, createServiceCaller, registerService, type ServiceCaller } from '@trx/discovery';
import { Participant } from '@trx/participant';
import type { CoordinatorApi } from '@trx/protocol';
import { SERVICE_NAME, type AppConfig } from './config';
import { createAccountDataSource } from './data-access/data-source';
import { accountRoutes } from './entry-points/account-routes';
import type { ReadinessCheck } from './entry-points/health-routes';
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

/** What stop() undoes, last started first. */
type Cleanup = (() => Promise<unknown>)[];

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
  const cleanup: Cleanup = [];
  const stop = async () => {
    for (const step of cleanup.reverse().splice(0)) {
      await step().catch((err) => logger.warn({ err }, 'error while stopping'));
    }
  };
  try {
    const infra = await connect(config, logger, cleanup);
    const registry = createRegistry(SERVICE_NAME);
    const participant = await Participant.start({
      service: SERVICE_NAME,
      instance: config.instanceId,
      dataSource: infra.dataSource,
      coordinator: infra.coordinator,
      broker: infra.broker,
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
      routes: accountRoutes(infra.dataSource, participant),
      registry,
      checks: readinessChecks(config, infra),
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
    logger.info({ port: http.port }, `${SERVICE_NAME} started`);
    // A wildcard listen address is reachable on loopback.
    const urlHost = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
    return { port: http.port, url: `http://${urlHost}:${http.port}`, participant, stop };
  } catch (err) {
    logger.error({ err }, 'start failed');
    await stop();
    throw err;
  }
}

interface Infrastructure {
  dataSource: DataSource;
  broker: Broker;
  caller: ServiceCaller;
  coordinator: CoordinatorApi;
}

/** The database (created on first start, migrated under a lock), the broker and the coordinator client. */
async function connect(config: AppConfig, logger: Logger, cleanup: Cleanup): Promise<Infrastructure> {
  logger.info({ database: redactUrl(config.databaseUrl) }, 'starting');
  await ensureDatabase(config.databaseUrl);
  const dataSource = createAccountDataSource(config.databaseUrl, config.dbPoolSize, config.instanceId);
  await dataSource.initialize();
  cleanup.push(() => dataSource.destroy());
  await runMigrationsLocked(dataSource);

  const { amqpUrl: url, exchange, instanceId: connectionName } = config;
  const broker = await Broker.connect({ url, exchange, logger, connectionName });
  cleanup.push(() => broker.close());
  await broker.declareExchange();

  const { consulUrl, consulToken, serviceUrls: staticServices } = config;
  const directory = createDirectory({ consulUrl, consulToken, staticServices, logger });
  cleanup.push(() => directory.close());
  const caller = createServiceCaller({ directory, timeoutMs: config.callTimeoutMs });
  cleanup.push(() => caller.close());
  const coordinator = createCoordinatorClient({ caller, service: config.coordinatorService });
  return { dataSource, broker, caller, coordinator };
}

function readinessChecks(config: AppConfig, infra: Infrastructure): Record<string, ReadinessCheck> {
  return {
    database: async () => void (await infra.dataSource.query('SELECT 1')),
    broker: async () => {
      if (!infra.broker.isConnected()) throw new Error('not connected to RabbitMQ');
    },
    coordinator: async () => {
      const res = await infra.caller.request(config.coordinatorService, {
        method: 'GET',
        url: '/health/live',
      });
      if (res.status !== 200) throw new Error(`answered ${res.status}`);
    },
  };
}
