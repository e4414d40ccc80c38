import type { Router } from 'express';
import { createCustomerVerifier } from '@trx/auth';
import {
  startParticipantService,
  startPeriodic,
  type PeriodicJob,
  type RunningParticipantService,
  type ServiceContext,
  type StartOptions as ServiceStartOptions,
} from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { HttpAccountGateway } from './data-access/account-gateway';
import { IdempotencyRepository } from './data-access/idempotency-repository';
import { OrderRepository } from './data-access/order-repository';
import { OutboxRepository } from './data-access/outbox-repository';
import { HttpProductGateway } from './data-access/product-gateway';
import { RetentionRepository } from './data-access/retention-repository';
import { CoordinatorTransactionGateway } from './data-access/transaction-gateway';
import { orderDatabase } from './data-access/order-schema';
import { KeyedLimiter } from './domain/keyed-limiter';
import { orderErrorMappers } from './entry-points/error-mapper';
import { OrderMetrics } from './entry-points/order-metrics';
import { orderRoutes } from './entry-points/order-routes';
import { createOrderRelay } from './entry-points/outbox-relay';
import { retainOrdersOnce, type OrderRetentionResult } from './entry-points/retention-job';
import { orderFlows } from './test-modes/order-flows';

export interface StartOptions extends ServiceStartOptions {
  /** Outbox poll period (default 200 ms); the relay is also nudged after each commit. */
  outboxPollMs?: number;
}

export type OrderServiceApp = RunningParticipantService & {
  /** One round of the order-service's own retention (outbox, Idempotency-Keys); tests drive it. */
  retention: { runOnce(): Promise<OrderRetentionResult> };
};

type OrderContext = ServiceContext<AppConfig>;

/**
 * Starts the order-service, the initiator: its tables and routes, its outbox relay and
 * retention job, on the plumbing of startParticipantService (database, broker, participant
 * runtime, HTTP, registration; `stop()` in reverse). The composition root: it also chooses
 * the test-only flows (test-modes/), which the domain knows nothing of.
 */
export async function start(config: AppConfig, options: StartOptions = {}): Promise<OrderServiceApp> {
  let retention: PeriodicJob<OrderRetentionResult> | undefined;
  const app = await startParticipantService({
    clock: options.clock,
    logger: options.logger,
    service: SERVICE_NAME,
    config,
    ...orderDatabase,
    errorMappers: orderErrorMappers,
    jsonLimit: '16kb',
    notFoundMessage: (req) => `no route for ${req.method} ${req.path}`,
    // POST /orders times itself (trx_order_duration_seconds): the hot path takes no second timer.
    requestMetrics: false,
    routes: async (ctx) => {
      const jobs = startJobs(ctx, options);
      retention = jobs.retention;
      return orderRouter(ctx, options, jobs.nudgeRelay);
    },
  });
  // A test's round goes through the job, so it never overlaps a timed round.
  return { ...app, retention: { runOnce: () => retention!.runOnce() } };
}

/** The outbox relay and the retention job. */
function startJobs(
  ctx: OrderContext,
  options: StartOptions,
): { nudgeRelay: () => void; retention: PeriodicJob<OrderRetentionResult> } {
  const { config, dataSource, broker, logger, onStop } = ctx;
  const relay = createOrderRelay({
    outbox: new OutboxRepository(dataSource),
    broker,
    logger,
    // Only baseline orders write outbox rows (a trx order's event rides on its commit): poll
    // slowly unless the benchmark's baseline mode is on.
    pollMs: options.outboxPollMs ?? (config.baselineMode ? 200 : 2000),
  });
  relay.start();
  onStop(() => relay.stop());
  const retention = startPeriodic('retention', config.retentionIntervalMs, retentionOf(ctx, options), logger);
  onStop(() => retention.stop());
  return { nudgeRelay: () => relay.nudge(), retention };
}

function retentionOf({ config, dataSource, logger }: OrderContext, options: StartOptions) {
  return () =>
    retainOrdersOnce({
      repository: new RetentionRepository(dataSource),
      logger,
      clock: options.clock ?? (() => new Date()),
      retentionMs: config.retentionMs,
      batch: config.retentionBatch,
    });
}

/** Wires the place-order use case (or a test-only flow) to its gateways and serves it. */
async function orderRouter(
  ctx: OrderContext,
  options: StartOptions,
  onOutboxRow: () => void,
): Promise<Router> {
  const { config, dataSource, caller, coordinator, participant, logger, registry } = ctx;
  const metrics = new OrderMetrics(registry);
  const orders = new OrderRepository(dataSource, participant);
  const products = new HttpProductGateway(caller);
  const accounts = new HttpAccountGateway(caller);
  const transactions = new CoordinatorTransactionGateway(coordinator, logger);
  const clock = options.clock;
  const flowFor = orderFlows({
    deps: { products, accounts, transactions, orders, logger, clock },
    baselineDeps: { products, accounts, orders, logger, clock },
    faultInjection: config.faultInjection,
    baselineMode: config.baselineMode,
    transactionTimeoutMs: config.orderTransactionTimeoutMs,
    onOutboxRow,
  });
  const customers = await createCustomerVerifier({
    jwksUrl: config.customerJwksUrl || undefined,
    publicKeyPem: config.customerJwtPublicKey || undefined,
    issuer: config.customerJwtIssuer,
    audience: config.customerJwtAudience,
  });
  return orderRoutes({
    flowFor,
    orders,
    idempotency: new IdempotencyRepository(dataSource),
    metrics,
    // Past the transaction's timeout plus the calls' bound, an in-progress attempt is dead.
    idempotencyStaleMs: config.orderTransactionTimeoutMs + 4 * config.callTimeoutMs,
    limiter: new KeyedLimiter(config.maxOrdersPerKey, {
      maxWaiters: config.maxWaitersPerKey,
      maxWaitMs: config.maxWaitMs,
      onRefused: (reason) => metrics.tooBusy(reason),
    }),
    customers,
  });
}
