import { Router } from 'express';
import { ignoredChecks } from '@trx/service-kit';
import type { OrderMetrics } from './order-metrics';

export type HealthCheck = () => Promise<void>;

export interface HealthRoutesOptions {
  /** Named readiness checks (database, broker, coordinator); each throws when its dependency is down. */
  checks: Record<string, HealthCheck>;
  metrics: OrderMetrics;
  /** Bound of one check, so a hung dependency answers "down" instead of hanging the probe. */
  checkTimeoutMs: number;
}

/**
 * `/health/live`, `/health/ready` (which dependency is down, 503) and `/metrics`;
 * `/health/ready?ignore=coordinator` leaves the coordinator check out (the chart's readiness probe).
 */
export function healthRoutes(o: HealthRoutesOptions): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'live' });
  });
  router.get('/health/ready', async (req, res) => {
    const ignored = ignoredChecks(req.query.ignore);
    const names = Object.keys(o.checks).filter((name) => !ignored.has(name));
    const results = await Promise.all(names.map((name) => run(o.checks[name]!, o.checkTimeoutMs)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ready = results.every((r) => r === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
  });
  return router;
}

async function run(check: HealthCheck, timeoutMs: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
