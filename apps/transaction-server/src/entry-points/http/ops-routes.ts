import { Router } from 'express';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { Broker } from '@trx/messaging';
import { openApiDocument } from './openapi';

export interface OpsDependencies {
  pool: Pool;
  broker: Broker;
  registry: Registry;
}

/** Liveness, readiness (database and broker), metrics and the API description. */
export function opsRoutes(deps: OpsDependencies): Router {
  const r = Router();
  r.get('/health/live', (_req, res) => {
    res.json({ status: 'up' });
  });
  r.get('/health/ready', async (_req, res) => {
    const database = await checkDatabase(deps.pool);
    const broker = deps.broker.isConnected() ? 'up' : 'down';
    const ready = database === 'up' && broker === 'up';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not-ready', checks: { database, broker } });
  });
  r.get('/metrics', async (_req, res) => {
    res.set('content-type', deps.registry.contentType).send(await deps.registry.metrics());
  });
  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  return r;
}

async function checkDatabase(pool: Pool): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database check timed out')), 2000);
    });
    await Promise.race([pool.query('SELECT 1'), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
