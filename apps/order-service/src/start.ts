import { createCustomerVerifier, ServiceTokenVerifier } from '@trx/auth';
import { createDirectory, createServiceCaller, registerService } from '@trx/discovery';
import { createLogger, type Logger } from '@trx/logging';
import { Broker } from '@trx/messaging';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { Participant } from '@trx/participant';
import { httpLimitsOf, startPeriodic } from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { openOrderDataSource } from './data-access/order-data-source';
import { OutboxRepository } from './data-access/outbox-repository';
import { RetentionRepository } from './data-access/retention-repository';
import { retainOrdersOnce, type OrderRetentionResult } from './entry-points/retention-job';
import { OrderMetrics } from './entry-points/order-metrics';
import { createOrderRelay } from './entry-points/outbox-relay';
import { createOrderApp, type Infrastructure } from './entry-points/order-app';
import { listen, type RunningApp } from './entry-points/http-server';

export interface StartOptions {
  clock?: () => Date;
  logger?: Logger;
  /** Outbox poll period (default 200 ms); the relay is also nudged after each commit. */
  outboxPollMs?: number;
}

export type OrderServiceApp = RunningApp & {
  participant: Participant;
  /** One round of the order-service's own retention (outbox, Idempotency-Keys); tests drive it. */
  retention: { runOnce(): Promise<OrderRetentionResult> };
};
type Closer = () => Promise<unknown>;

/** Starts the order-service: database, broker, participant runtime, outbox relay, HTTP, registration. */
export async function start(config: AppConfig, options: StartOptions = {}): Promise<OrderServiceApp> {
  const logger =
    options.logger ??
    createLogger({ service: SERVICE_NAME, level: config.logLevel, base: { instance: config.instanceId } });
  const closers: Closer[] = [];
  // One registry for the app: the participant runtime's metrics show on /metrics beside the orders'.
  const metrics = new OrderMetrics();
  try {
    const infra = await openInfrastructure(config, options, logger, closers, metrics);
    const relay = createOrderRelay({
      outbox: new OutboxRepository(infra.dataSource),
      broker: infra.broker,
      logger,
      // Only baseline orders write outbox rows (a trx order's event rides on its commit): poll
      // slowly unless the benchmark's baseline mode is on.
      pollMs: options.outboxPollMs ?? (config.baselineMode ? 200 : 2000),
    });
    relay.start();
    closers.unshift(() => relay.stop());
    const customers = await createCustomerVerifier({
      jwksUrl: config.customerJwksUrl || undefined,
      publicKeyPem: config.customerJwtPublicKey || undefined,
      issuer: config.customerJwtIssuer,
      audience: config.customerJwtAudience,
    });
    const retain = () =>
      retainOrdersOnce({
        repository: new RetentionRepository(infra.dataSource),
        logger,
        clock: options.clock ?? (() => new Date()),
        retentionMs: config.retentionMs,
        batch: config.retentionBatch,
      });
    const retention = startPeriodic('retention', config.retentionIntervalMs, retain, logger);
    closers.unshift(() => retention.stop());
    const app = createOrderApp({
      config,
      infra,
      logger,
      customers,
      services: new ServiceTokenVerifier(config.trustedCallers),
      clock: options.clock,
      metrics,
      onOutboxRow: () => relay.nudge(),
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
    const participant = infra.participant;
    return {
      port: server.port,
      url: server.url,
      participant,
      retention: { runOnce: () => retention.runOnce() },
      stop,
    };
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
  metrics: OrderMetrics,
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
  const broker = await Broker.connect({
    url: config.amqpUrl,
    exchange: config.exchange,
    logger,
    deadLetterMaxLength: config.deadLetterMaxLength,
  });
  closers.unshift(() => broker.close());
  await broker.declareExchange();
  const directory = createDirectory({
    consulUrl: config.consulUrl,
    consulToken: config.consulToken,
    staticServices: config.serviceUrls,
    logger,
  });
  const caller = createServiceCaller({
    directory,
    timeoutMs: config.callTimeoutMs,
    credential: config.serviceToken,
  });
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
    coordinatorBrokerUser: config.coordinatorBrokerUser,
    clock: options.clock,
    metricsRegistry: metrics.registry,
    maxPreparedBranches: config.maxPreparedBranches,
    retentionMs: config.retentionMs,
    retentionIntervalMs: config.retentionIntervalMs,
    retentionBatch: config.retentionBatch,
  });
  closers.unshift(() => participant.stop());
  return { dataSource, broker, caller, coordinator, participant };
}

async function closeAll(closers: Closer[], logger: Logger): Promise<void> {
  for (const close of closers.splice(0)) {
    await close().catch((err) => logger.warn({ err }, 'error while stopping'));
  }
}
