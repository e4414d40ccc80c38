import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import type { ServiceCaller } from '@trx/discovery';
import type { CustomerVerifier, ServiceTokenVerifier } from '@trx/auth';
import type { Logger } from '@trx/logging';
import type { CoordinatorApi } from '@trx/protocol';
import type { Participant } from '@trx/participant';
import type { AppConfig } from '../config';
import { OrderRepository } from '../data-access/order-repository';
import { IdempotencyRepository } from '../data-access/idempotency-repository';
import { HttpProductGateway } from '../data-access/product-gateway';
import { HttpAccountGateway } from '../data-access/account-gateway';
import { CoordinatorTransactionGateway } from '../data-access/transaction-gateway';
import type { OrderMetrics } from './order-metrics';
import { KeyedLimiter } from '../domain/keyed-limiter';
import { orderRoutes } from './order-routes';
import { healthRoutes, type HealthCheck } from './health-routes';
import { createHttpApp } from './http-app';

export interface Infrastructure {
  dataSource: DataSource;
  broker: {
    isConnected(): boolean;
    publish(m: { routingKey: string; messageId: string; body: unknown }[]): Promise<void>;
  };
  caller: ServiceCaller;
  coordinator: CoordinatorApi;
  participant: Participant;
}

export interface OrderAppOptions {
  config: AppConfig;
  infra: Infrastructure;
  logger: Logger;
  clock?: () => Date;
  /** The app's metrics; the participant runtime registers its own on the same registry. */
  metrics: OrderMetrics;
  onOutboxRow: () => void;
  customers: CustomerVerifier;
  services: ServiceTokenVerifier;
}

/** Wires the use case to its gateways and repositories and serves it over HTTP. */
export function createOrderApp(options: OrderAppOptions): Express {
  const { config, infra, logger, clock, onOutboxRow } = options;
  const orders = new OrderRepository(infra.dataSource, infra.participant);
  const { metrics } = options;
  const deps = {
    products: new HttpProductGateway(infra.caller),
    accounts: new HttpAccountGateway(infra.caller),
    transactions: new CoordinatorTransactionGateway(infra.coordinator, logger),
    orders,
    logger,
    transactionTimeoutMs: config.orderTransactionTimeoutMs,
    clock,
  };
  const routes = orderRoutes({
    deps,
    orders,
    idempotency: new IdempotencyRepository(infra.dataSource),
    metrics,
    logger,
    faultInjection: config.faultInjection,
    baselineMode: config.baselineMode,
    // Past the transaction's timeout plus the calls' bound, an in-progress attempt is dead.
    idempotencyStaleMs: config.orderTransactionTimeoutMs + 4 * config.callTimeoutMs,
    onOutboxRow,
    limiter: new KeyedLimiter(config.maxOrdersPerKey, {
      maxWaiters: config.maxWaitersPerKey,
      maxWaitMs: config.maxWaitMs,
      onRefused: (reason) => metrics.tooBusy(reason),
    }),
    customers: options.customers,
    services: options.services,
  });
  const health = healthRoutes({ checks: readinessChecks(config, infra), metrics, checkTimeoutMs: 2_000 });
  return createHttpApp([routes, health], logger, config.requestDeadlineMs);
}

function readinessChecks(config: AppConfig, infra: Infrastructure): Record<string, HealthCheck> {
  return {
    database: async () => {
      await infra.dataSource.query('SELECT 1');
    },
    broker: async () => {
      if (!infra.broker.isConnected()) throw new Error('broker disconnected');
    },
    coordinator: async () => {
      const res = await infra.caller.request(config.coordinatorService, {
        method: 'GET',
        url: '/health/live',
        timeout: 2_000,
      });
      if (res.status !== 200) throw new Error(`coordinator answered ${res.status}`);
    },
  };
}
