import 'reflect-metadata';
import { createLogger, type Logger } from '@trx/logging';
import { ensureDatabase, poolOf, runMigrationsLocked } from '@trx/db';
import { registerService } from '@trx/discovery';
import { Broker } from '@trx/messaging';
import {
  httpLimitsOf,
  listenHttp,
  startPeriodic,
  StopSteps,
  type RunningApp,
  type StartOptions as ServiceStartOptions,
} from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { createAsyncPool, createDataSource } from './data-access';
import type { CoordinatorContext } from './domain/context';
import { sweepOnce, type SweepResult } from './domain/sweeper';
import { ServiceTokenVerifier } from '@trx/auth';
import { retainOnce, type RetentionResult } from './domain/retention';
import { createCompatApp, createHttpApp } from './entry-points/http/http-app';
import { createMetrics } from './entry-points/http/metrics';
import { compatParticipants } from './compat/compat-participants';
import { createOutboxRelay } from './entry-points/jobs/outbox-relay';
import { DecisionPublisher } from './entry-points/jobs/decision-publisher';

export type { RunningApp } from '@trx/service-kit';

export interface StartOptions extends ServiceStartOptions {
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

/**
 * Starts the coordinator: database and migrations, broker topology, sweeper and outbox poller,
 * HTTP, registration. `stop()` undoes it last-started-first (StopSteps): deregister, close HTTP
 * gracefully, stop the loops, publish what is left, disconnect.
 */
export async function start(config: AppConfig, options: StartOptions = {}): Promise<RunningCoordinator> {
  const clock = options.clock ?? (() => new Date());
  const logger =
    options.logger ??
    createLogger({ service: SERVICE_NAME, level: config.logLevel, base: { instance: config.instanceId } });
  const steps = new StopSteps(logger);
  steps.push(async () => logger.info('transaction-server stopped'));
  try {
    return await startWith(config, options, clock, logger, steps);
  } catch (err) {
    await steps.runAll();
    throw err;
  }
}

async function startWith(
  config: AppConfig,
  options: StartOptions,
  clock: () => Date,
  logger: Logger,
  steps: StopSteps,
): Promise<RunningCoordinator> {
  await ensureDatabase(config.databaseUrl);
  const dataSource = createDataSource(config.databaseUrl, config.dbPoolSize, config.dbConnectionTimeoutMs);
  await dataSource.initialize();
  steps.push(() => dataSource.destroy());
  const broker = await connectBroker(config, logger);
  steps.push(() => broker.close());
  await runMigrationsLocked(dataSource);
  await broker.declareExchange();
  if (config.auditQueue)
    await broker.declareAuditQueue(config.auditQueue, config.auditMaxLength, config.auditDurable);
  const pool = poolOf(dataSource);
  const asyncPool = createAsyncPool(
    config.databaseUrl,
    Math.max(2, Math.ceil(config.dbPoolSize / 2)),
    config.dbConnectionTimeoutMs,
    (err) => logger.warn({ err }, 'idle asynchronous-commit connection failed; the pool replaces it'),
  );
  steps.push(() => asyncPool.end());
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
  // Whatever a request wrote last still goes out before we disconnect (after the loops stopped).
  steps.push(() =>
    relay
      .runOnce()
      .catch((err: unknown) => logger.warn({ err }, 'final outbox flush failed; the next start sends it')),
  );
  const sweeper = startPeriodic('sweeper', config.sweepIntervalMs, () => sweepOnce(ctx), logger);
  relay.start();
  const retention = startPeriodic('retention', config.retentionIntervalMs, () => retainOnce(ctx), logger);
  steps.push(() => Promise.all([sweeper.stop(), relay.stop(), retention.stop(), publisher.stop()]));
  const callers = new ServiceTokenVerifier(config.trustedCallers);
  const app = createHttpApp(ctx, { pool, broker, registry }, callers, logger, config.requestDeadlineMs);
  const limits = httpLimitsOf(config);
  const server = await listenHttp(app, { host: config.host, port: config.port, logger, limits });
  steps.push(() => server.close(config.shutdownTimeoutMs));
  const compat = config.compatListen
    ? await listenHttp(createCompatApp(ctx, logger), { ...config.compatListen, logger, limits })
    : undefined;
  if (compat) {
    steps.push(() => compat.close(config.shutdownTimeoutMs));
    logger.warn({ compat: compat.url }, 'Spring-compatible API on, without credentials');
  }
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
  steps.push(() => registration.deregister());
  logger.info({ port: server.port, exchange: config.exchange }, 'transaction-server started');
  return {
    port: server.port,
    url: server.url,
    compatUrl: compat?.url,
    // A test's round goes through the job, so it never overlaps a timed round.
    sweeper: { runOnce: () => sweeper.runOnce() },
    outbox: { runOnce: () => relay.runOnce() },
    retention: { runOnce: () => retention.runOnce() },
    stop: () => steps.runAll(),
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
