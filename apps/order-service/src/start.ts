import { createDirectory, createServiceCaller, registerService } from '@trx/discovery';
import { createLogger, type Logger } from '@trx/logging';
import { Broker } from '@trx/messaging';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { Participant } from '@trx/participant';
import { httpLimitsOf } from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { openOrderDataSource } from './data-access/order-data-source';
import { OutboxRepository } from './data-access/outbox-repository';
import { OutboxRelay } from './entry-points/outbox-relay';
import { createOrderApp, type Infrastructure } from './entry-points/order-app';
import { listen, type RunningApp } from './entry-points/http-server';

export interface StartOptions {
  clock?: () => Date;
  logger?: Logger;
  /** Outbox poll period (default 200 ms); the relay is also nudged after each commit. */
  outboxPollMs?: number;
  /** Orders in flight per product and per customer in this instance (default 8): see KeyedLimiter. */
  maxOrdersPerKey?: number;
}

export type OrderServiceApp = RunningApp & { participant: Participant };
type Closer = () => Promise<unknown>;

/** Starts the order-service: database, broker, participant runtime, outbox relay, HTTP, registration. */
export async function start(config: AppConfig, options: StartOptions = {}): Promise<OrderServiceApp> {
  const logger =
    options.logger ??
    createLogger({ service: SERVICE_NAME, level: config.logLevel, base: { instance: config.instanceId } });
  const closers: Closer[] = [];
  try {
    const infra = await openInfrastructure(config, options, logger, closers);
    const relay = new OutboxRelay({
      outbox: new OutboxRepository(infra.dataSource),
      broker: infra.broker,
      logger,
      pollMs: options.outboxPollMs ?? 200,
    });
    relay.start();
    closers.unshift(() => relay.stop());
    const app = createOrderApp({
      config,
      infra,
      logger,
      clock: options.clock,
      onConfirmed: () => relay.nudge(),
    });
    const limits = httpLimitsOf(config);
    const server = await listen(app, config.port, config.host, config.shutdownTimeoutMs, limits);
    closers.unshift(() => server.close());
    const registration = await registerService({
      consulUrl: config.consulUrl,
      consulToken: config.consulToken,
      service: SERVICE_NAME,
      instanceId: config.instanceId,
      address: config.advertiseAddress,
      port: server.port,
      healthPath: '/health/ready',
      logger,
    });
    closers.unshift(() => registration.deregister());
    logger.info({ port: server.port }, 'order-service started');
    const stop = () => closeAll(closers, logger);
    return { port: server.port, url: server.url, participant: infra.participant, stop };
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
}

/** Database, broker, discovery, coordinator client and the participant runtime; closers run in reverse. */
async function openInfrastructure(
  config: AppConfig,
  options: StartOptions,
  logger: Logger,
  closers: Closer[],
): Promise<Infrastructure> {
  const dataSource = await openOrderDataSource({
    url: config.databaseUrl,
    poolSize: config.dbPoolSize,
    bounds: {
      connectionTimeoutMs: config.dbConnectionTimeoutMs,
      lockTimeoutMs: config.lockTimeoutMs,
      statementTimeoutMs: config.statementTimeoutMs,
    },
  });
  closers.unshift(() => dataSource.destroy());
  const broker = await Broker.connect({ url: config.amqpUrl, exchange: config.exchange, logger });
  closers.unshift(() => broker.close());
  await broker.declareExchange();
  const directory = createDirectory({
    consulUrl: config.consulUrl,
    consulToken: config.consulToken,
    staticServices: config.serviceUrls,
    logger,
  });
  const caller = createServiceCaller({ directory, timeoutMs: config.callTimeoutMs });
  closers.unshift(
    () => directory.close(),
    () => caller.close(),
  );
  const coordinator = createCoordinatorClient({ caller, service: config.coordinatorService });
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
    maxPreparedBranches: config.maxPreparedBranches,
  });
  closers.unshift(() => participant.stop());
  return { dataSource, broker, caller, coordinator, participant };
}

async function closeAll(closers: Closer[], logger: Logger): Promise<void> {
  for (const close of closers.splice(0)) {
    await close().catch((err) => logger.warn({ err }, 'error while stopping'));
  }
}
