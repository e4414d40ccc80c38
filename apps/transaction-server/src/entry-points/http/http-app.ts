import express, { type Express, type RequestHandler } from 'express';
import type { ServiceTokenVerifier } from '@trx/auth';
import type { Logger } from '@trx/logging';
import { identifyCaller, requestDeadline } from '@trx/service-kit';
import type { CoordinatorContext } from '../../domain/context';
import { compatRoutes } from '../../compat/compat-routes';
import { consoleRoutes } from './console-routes';
import { errorHandler } from './error-handler';
import { opsRoutes, type OpsDependencies } from './ops-routes';
import { v1Routes } from './v1-routes';

/** The coordinator's API: health, metrics, the API description and the console page open; `/v1` for trusted callers only. */
export function createHttpApp(
  ctx: CoordinatorContext,
  ops: OpsDependencies,
  callers: ServiceTokenVerifier,
  logger: Logger,
  requestDeadlineMs = 0,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestDeadline(requestDeadlineMs));
  app.use(express.json({ limit: '256kb' }));
  app.use(jsonBodiesOnly());
  app.use(opsRoutes(ops, logger));
  app.use(identifyCaller(callers));
  // Before /v1's routes: the console's API answers the operator only.
  app.use(consoleRoutes(ctx));
  app.use(v1Routes(ctx));
  return withFallbacks(app, logger);
}

/**
 * The Spring sample's API, on a listener of its own (`TRX_COMPAT_LISTEN`): its clients send no
 * credentials, so the operator chooses who can reach that address, and what reaches it can
 * only ever touch compat transactions (domain/authorization.ts).
 */
export function createCompatApp(ctx: CoordinatorContext, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));
  app.use(jsonBodiesOnly());
  app.use(compatRoutes(ctx));
  return withFallbacks(app, logger);
}

/**
 * A body that is not JSON never reaches the routes: they read a missing body as `{}`, so a
 * commit sent as text/plain would otherwise commit without the branches it enlists.
 */
function jsonBodiesOnly(): RequestHandler {
  return (req, res, next) => {
    // null: no body; false: a body of another type (or none named). An empty body is no body.
    if (req.is('application/json') !== false || req.headers['content-length'] === '0') return next();
    res.status(415).json({
      error: 'unsupported-media-type',
      message: 'the body must be application/json',
      retryable: false,
    });
  };
}

function withFallbacks(app: Express, logger: Logger): Express {
  app.use((req, res) => {
    res
      .status(404)
      .json({ error: 'not-found', message: `no route ${req.method} ${req.path}`, retryable: false });
  });
  app.use(errorHandler(logger));
  return app;
}
