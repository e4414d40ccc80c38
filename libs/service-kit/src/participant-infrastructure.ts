import { DataSource, type DataSourceOptions } from 'typeorm';
import { ensureDatabase, pgDriver, redactUrl, runMigrationsLocked } from '@trx/db';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { createDirectory, createServiceCaller, type ServiceCaller } from '@trx/discovery';
import type { Logger } from '@trx/logging';
import { Broker } from '@trx/messaging';
import type { CoordinatorApi } from '@trx/protocol';
import type { CommonConfig, ParticipantConfig } from './config-keys';
import type { ReadinessCheck } from './health-routes';
import type { StopSteps } from './stop-steps';

export interface ServiceDatabase {
  /** TypeORM entities of the service's tables. */
  entities: NonNullable<DataSourceOptions['entities']>;
  /** Its migrations; the schema changes through them only. */
  migrations: NonNullable<DataSourceOptions['migrations']>;
  /** Default `typeorm_migrations`. */
  migrationsTableName?: string;
}

/** How long a session may wait: for a pooled connection, a row lock, a statement (0 = no bound). */
export interface SessionBounds {
  connectionTimeoutMs: number;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/**
 * The pg pool settings for `bounds`. lock_timeout and statement_timeout go in the startup
 * packet: they are the sessions' defaults, cost no round trip per branch, and survive the
 * RESET ALL that ends every branch.
 */
export function boundedPoolOptions(bounds: SessionBounds): Record<string, unknown> {
  const settings = [
    bounds.lockTimeoutMs ? `-c lock_timeout=${Math.floor(bounds.lockTimeoutMs)}` : '',
    bounds.statementTimeoutMs ? `-c statement_timeout=${Math.floor(bounds.statementTimeoutMs)}` : '',
  ].filter(Boolean);
  return {
    connectionTimeoutMillis: bounds.connectionTimeoutMs,
    ...(settings.length > 0 ? { options: settings.join(' ') } : {}),
  };
}

/** A service's TypeORM data source (not yet initialized), its pool named after the instance. */
export function createServiceDataSource(
  db: ServiceDatabase & { url: string; poolSize: number; instanceId: string; bounds?: SessionBounds },
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: db.url,
    driver: pgDriver(),
    entities: db.entities,
    migrations: db.migrations,
    migrationsTableName: db.migrationsTableName ?? 'typeorm_migrations',
    synchronize: false,
    poolSize: db.poolSize,
    applicationName: db.instanceId.slice(0, 63),
    logging: false,
    extra: boundedPoolOptions(db.bounds ?? { connectionTimeoutMs: 5_000 }),
  });
}

export interface Infrastructure {
  dataSource: DataSource;
  broker: Broker;
  caller: ServiceCaller;
  coordinator: CoordinatorApi;
}

type InfraConfig = CommonConfig & ParticipantConfig;

/** The database (created on first start, migrated under a lock), the broker and the coordinator client. */
export async function connectInfrastructure(
  config: InfraConfig,
  db: ServiceDatabase,
  logger: Logger,
  steps: StopSteps,
): Promise<Infrastructure> {
  logger.info({ database: redactUrl(config.databaseUrl) }, 'starting');
  await ensureDatabase(config.databaseUrl);
  const { databaseUrl: url, dbPoolSize: poolSize, instanceId } = config;
  const bounds = {
    connectionTimeoutMs: config.dbConnectionTimeoutMs,
    lockTimeoutMs: config.lockTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
  };
  const dataSource = createServiceDataSource({ ...db, url, poolSize, instanceId, bounds });
  await dataSource.initialize();
  steps.push(() => dataSource.destroy());
  await runMigrationsLocked(dataSource);

  const { amqpUrl, exchange, instanceId: connectionName, deadLetterMaxLength } = config;
  const broker = await Broker.connect({
    url: amqpUrl,
    exchange,
    logger,
    connectionName,
    deadLetterMaxLength,
  });
  steps.push(() => broker.close());
  await broker.declareExchange();

  const { consulUrl, consulToken, serviceUrls: staticServices } = config;
  const directory = createDirectory({ consulUrl, consulToken, staticServices, logger });
  steps.push(() => directory.close());
  const caller = createServiceCaller({
    directory,
    timeoutMs: config.callTimeoutMs,
    credential: config.serviceToken,
  });
  steps.push(() => caller.close());
  const coordinator = createCoordinatorClient({ caller, service: config.coordinatorService });
  return { dataSource, broker, caller, coordinator };
}

/** database (SELECT 1), broker (connected) and coordinator (its /health/live answers 200). */
export function participantReadinessChecks(
  config: InfraConfig,
  infra: Infrastructure,
): Record<string, ReadinessCheck> {
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
