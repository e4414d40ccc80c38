import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Router } from 'express';
import { Counter, Histogram, collectDefaultMetrics, Registry } from 'prom-client';
import type { ServiceTokenVerifier } from '@trx/auth';
import type { Logger } from '@trx/logging';
import { identifyCaller } from './caller-auth';
import { errorHandler, type ErrorMapper } from './error-handler';
import { healthRoutes, type ReadinessCheck } from './health-routes';
import {
  createBoundedServer,
  DEFAULT_HTTP_LIMITS,
  listenOn,
  requestDeadline,
  type HttpLimits,
} from './http-limits';

export interface HttpServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  logger: Logger;
  /** The app's routers, mounted after the health routes. */
  routes: Router | Router[];
  /** Named readiness checks behind /health/ready. */
  checks: Record<string, ReadinessCheck>;
  /** Served on /metrics; also gets the request counter and histogram. */
  registry: Registry;
  /** The app's own error answers, tried before the defaults (see answerFor). */
  errorMappers?: ErrorMapper[];
  /** Largest JSON body (default 64kb). */
  jsonLimit?: string;
  /** Who is calling (service tokens); routes then admit callers with allowCallers. */
  callers?: ServiceTokenVerifier;
  /** Time and connection bounds (the HTTP_* keys); default DEFAULT_HTTP_LIMITS. */
  limits?: HttpLimits;
  /** The message of the 404 of an unknown route (default "no such route"). */
  notFoundMessage?: (req: Request) => string;
  /**
   * Count and time every request (http_requests_total, http_request_duration_seconds); default
   * true. An app that times its hot route itself turns it off rather than time it twice.
   */
  requestMetrics?: boolean;
}

/** Where and how an express app listens (see listenHttp). */
export interface ListenOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  logger: Logger;
  limits?: HttpLimits;
}

export interface HttpServer {
  port: number;
  /** `http://<host>:<port>`; a wildcard listen address is shown as 127.0.0.1. */
  url: string;
  /** Stops accepting, lets requests in flight finish, and cuts what is left after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /** Connections open now. */
  connections(): Promise<number>;
}

/** A registry of this app instance (two instances in one test process must not share one). */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Express with JSON bodies, health routes, /metrics, the app's routes, 404 and the error handler. */
export function startHttpServer(o: HttpServerOptions): Promise<HttpServer> {
  return listenHttp(createHttpApp(o), o);
}

function createHttpApp(o: HttpServerOptions): Express {
  const limits = o.limits ?? DEFAULT_HTTP_LIMITS;
  const app = express();
  app.disable('x-powered-by');
  if (o.requestMetrics ?? true) app.use(requestMetrics(o.registry));
  app.use(requestDeadline(limits.requestDeadlineMs));
  app.use(express.json({ limit: o.jsonLimit ?? '64kb' }));
  app.use(healthRoutes(o.checks, o.registry, o.logger));
  if (o.callers) app.use(identifyCaller(o.callers));
  for (const routes of [o.routes].flat()) app.use(routes);
  const notFoundMessage = o.notFoundMessage ?? (() => 'no such route');
  app.use((req, res) => {
    res.status(404).json({ error: 'not-found', message: notFoundMessage(req) });
  });
  app.use(errorHandler(o.logger, o.errorMappers));
  return app;
}

/**
 * Serves an express app within the HTTP bounds; `close(timeoutMs)` is the one graceful close
 * of every trx listener. startHttpServer uses it; an app that builds its own express app (the
 * coordinator) listens with it too.
 */
export async function listenHttp(app: Express, o: ListenOptions): Promise<HttpServer> {
  const server = await listenOn(createBoundedServer(app, o.limits ?? DEFAULT_HTTP_LIMITS), o.port, o.host);
  const port = (server.address() as AddressInfo).port;
  o.logger.info({ port, host: o.host }, 'http server listening');
  // A wildcard listen address is reachable on loopback.
  const urlHost = ['0.0.0.0', '::'].includes(o.host) ? '127.0.0.1' : o.host;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    close: (timeoutMs) => closeServer(server, timeoutMs),
    connections: () =>
      new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
  };
}

function requestMetrics(registry: Registry): express.RequestHandler {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route pattern, not the path, keeps the label set small.
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      const labels = { method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) };
      end(labels);
      requests.inc(labels);
    });
    next();
  };
}

async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
