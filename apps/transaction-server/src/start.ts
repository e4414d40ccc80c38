import 'reflect-metadata';
import type { Server } from 'node:http';
import { createLogger, type Logger } from '@trx/logging';
import { ensureDatabase, poolOf, runMigrationsLocked } from '@trx/db';
import { registerService } from '@trx/discovery';
import { Broker } from '@trx/messaging';
import { createBoundedServer, httpLimitsOf, listenOn, startPeriodic } from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { createAsyncPool, createDataSource } from './data-access';
import type { CoordinatorContext } from './domain/context';
import { sweepOnce, type SweepResult } from './domain/sweeper';
import { ServiceTokenVerifier } from '@trx/auth';
import { retainOnce, type RetentionResult } from './domain/retention';
import { compatParticipants } from './compat/compat-participants';
import { createCompatApp, createHttpApp } from './entry-points/http/http-app';
import { createMetrics } from './entry-points/http/metrics';
import { createOutboxRelay } from './entry-points/jobs/outbox-relay';
import { DecisionPublisher } from './entry-points/jobs/decision-publisher';

export interface RunningApp {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: () => Date;
  logger?: Logger;
  /**
   * false: publish nothing right after a commit — decisions stay unannounced for the sweeper's
   * re-publish and outbox rows for the poller (tests of a crash before publishing). Default true.
   */
  flushAfterCommit?: boolean;
}

export interface RunningCoordinator extends RunningApp {
  /** The compat API's own listener, when TRX_COMPAT_LISTEN is set. */
  compatUrl?: string;
  sweeper: { runOnce(): Promise<SweepResult> };
  outbox: { runOnce(): Promise<number> };
  retention: { runOnce(): Promise<RetentionResult> };
}

/** Starts the coordinator: database and migrations, broker topology, HTTP, sweeper and outbox poller. */
export async function start(config: AppConfig, options: StartOptions = {}): Promise<RunningCoordinator> {
  const clock = options.clock ?? (() => new Date());
  const logger =
    options.logger ??
    createLogger({ service: SERVICE_NAME, level: config.logLevel, base: { instance: config.instanceId } });

  await ensureDatabase(config.databaseUrl);
  const dataSource = createDataSource(config.databaseUrl, config.dbPoolSize, config.dbConnectionTimeoutMs);
  await dataSource.initialize();
  const broker = await connectBroker(config, logger).catch(async (err: unknown) => {
    await dataSource.destroy();
    throw err;
  });
  try {
    await runMigrationsLocked(dataSource);
    await broker.declareExchange();
    if (config.auditQueue)
      await broker.declareAuditQueue(config.auditQueue, config.auditMaxLength, config.auditDurable);
  } catch (err) {
    await broker.close();
    await dataSource.destroy();
    throw err;
  }
  const pool = poolOf(dataSource);
  const asyncPool = createAsyncPool(
    config.databaseUrl,
    Math.max(2, Math.ceil(config.dbPoolSize / 2)),
    config.dbConnectionTimeoutMs,
    (err) => logger.warn({ err }, 'idle asynchronous-commit connection failed; the pool replaces it'),
  );
  const flushAfterCommit = options.flushAfterCommit ?? true;
  const relay = createOutboxRelay({ pool: asyncPool, broker, clock, logger, pollMs: config.outboxPollMs });
  const publisher = new DecisionPublisher(
    asyncPool,
    broker,
    clock,
    logger,
    flushAfterCommit,
    config.lifecycleEvents === 'all',
    config.publishLingerMs,
  );
  const { registry, metrics } = createMetrics({ pool, clock, broker });
  const ctx: CoordinatorContext = {
    pool,
    asyncPool,
    clock,
    logger,
    metrics,
    settings: config,
    foreign: compatParticipants,
    afterCommit: (ids, announcements = []) => {
      if (flushAfterCommit && ids.length > 0) relay.nudge();
      publisher.announce(announcements);
    },
  };
  const callers = new ServiceTokenVerifier(config.trustedCallers);
  const app = createHttpApp(ctx, { pool, broker, registry }, callers, logger, config.requestDeadlineMs);
  const server = await listenOn(createBoundedServer(app, httpLimitsOf(config)), config.port, config.host);
  const port = (server.address() as { port: number }).port;
  const compat = config.compatListen
    ? await listenOn(
        createBoundedServer(createCompatApp(ctx, logger), httpLimitsOf(config)),
        config.compatListen.port,
        config.compatListen.host,
      )
    : undefined;
  if (compat) logger.warn({ compat: compat.address() }, 'Spring-compatible API on, without credentials');
  const sweeper = startPeriodic('sweeper', config.sweepIntervalMs, () => sweepOnce(ctx), logger);
  relay.start();
  const retention = startPeriodic('retention', config.retentionIntervalMs, () => retainOnce(ctx), logger);
  const registration = await registerService({
    consulUrl: config.consulUrl,
    consulToken: config.consulToken,
    service: SERVICE_NAME,
    instanceId: config.instanceId,
    address: config.advertiseAddress,
    port,
    healthPath: '/health/ready',
    logger,
  });
  logger.info({ port, exchange: config.exchange }, 'transaction-server started');

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await registration.deregister().catch((err: unknown) => logger.warn({ err }, 'deregistration failed'));
    await closeServer(server, config.shutdownTimeoutMs);
    if (compat) await closeServer(compat, config.shutdownTimeoutMs);
    await Promise.all([sweeper.stop(), relay.stop(), retention.stop(), publisher.stop()]);
    // Whatever a request wrote last still goes out before we disconnect.
    await relay
      .runOnce()
      .catch((err: unknown) => logger.warn({ err }, 'final outbox flush failed; the next start sends it'));
    await broker.close();
    await asyncPool.end();
    await dataSource.destroy();
    logger.info('transaction-server stopped');
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    compatUrl: compat ? `http://127.0.0.1:${(compat.address() as { port: number }).port}` : undefined,
    sweeper: { runOnce: () => sweeper.runOnce() },
    outbox: { runOnce: () => relay.runOnce() },
    retention: { runOnce: () => retention.runOnce() },
    stop: () => (stopping ??= stop()),
  };
}

function connectBroker(config: AppConfig, logger: Logger): Promise<Broker> {
  return Broker.connect({
    url: config.amqpUrl,
    exchange: config.exchange,
    logger,
    connectionName: config.instanceId,
    deadLetterMaxLength: config.deadLetterMaxLength,
  });
}

/** Stops accepting, lets in-flight requests finish, and cuts what is left after the bound. */
async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearTimeout(timer);
}
