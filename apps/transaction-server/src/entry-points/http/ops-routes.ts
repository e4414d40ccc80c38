import { Router } from 'express';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { Logger } from '@trx/logging';
import type { Broker } from '@trx/messaging';
import { healthRoutes } from '@trx/service-kit';
import { openApiDocument } from './openapi';

export interface OpsDependencies {
  pool: Pool;
  broker: Broker;
  registry: Registry;
}

/**
 * Liveness, readiness (database and broker) and metrics — service-kit's health routes, the
 * same bodies as every trx app's — and the API description.
 */
export function opsRoutes(deps: OpsDependencies, logger: Logger): Router {
  const checks = {
    database: async () => void (await deps.pool.query('SELECT 1')),
    broker: async () => {
      if (!deps.broker.isConnected()) throw new Error('not connected to RabbitMQ');
    },
  };
  const r = Router();
  r.use(healthRoutes(checks, deps.registry, logger));
  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  return r;
}
