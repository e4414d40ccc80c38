import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@trx/logging';

/** A dependency probe: resolves when reachable, rejects with the reason otherwise. */
export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

/**
 * `/health/live` (200 `{status: "up"}`), `/health/ready` (`{status, checks}`, each `up` or
 * `down`; 503 when one is down, its cause logged, never answered) and `/metrics`: the same in
 * every trx app. `/health/ready?ignore=coordinator` leaves named checks out: the Kubernetes
 * readiness probe uses it, so a coordinator outage does not take every participant out of its Service.
 */
export function healthRoutes(
  checks: Record<string, ReadinessCheck>,
  registry: Registry,
  logger: Logger,
): Router {
  const onDown = (check: string, err: unknown) =>
    logger.warn({ check, err: (err as Error)?.message ?? String(err) }, 'readiness check down');
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'up' });
  });
  router.get('/health/ready', async (req, res) => {
    const ignored = ignoredChecks(req.query.ignore);
    const names = Object.keys(checks).filter((name) => !ignored.has(name));
    const results = await Promise.all(names.map((name) => probe(checks[name]!, (err) => onDown(name, err))));
    const report: Record<string, string> = {};
    names.forEach((name, i) => (report[name] = results[i]!));
    const ready = results.every((r) => r === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'up' : 'down', checks: report });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

/** `?ignore=a,b` (or repeated) → the set of check names to leave out. */
export function ignoredChecks(query: unknown): Set<string> {
  const raw = Array.isArray(query) ? query.join(',') : typeof query === 'string' ? query : '';
  return new Set(
    raw
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
}

async function probe(check: ReadinessCheck, onDown: (err: unknown) => void): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch (err) {
    // Only "down" in public: the cause names hosts and ports (logged by the caller of probe()).
    onDown(err);
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
