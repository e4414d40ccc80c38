import express, { type Express } from 'express';
import type { Logger } from '@trx/logging';
import { requestDeadline } from '@trx/service-kit';
import type { CoordinatorContext } from '../../domain/context';
import { compatRoutes } from './compat-routes';
import { errorHandler } from './error-handler';
import { opsRoutes, type OpsDependencies } from './ops-routes';
import { v1Routes } from './v1-routes';

export function createHttpApp(
  ctx: CoordinatorContext,
  ops: OpsDependencies,
  logger: Logger,
  requestDeadlineMs = 0,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestDeadline(requestDeadlineMs));
  app.use(express.json({ limit: '256kb' }));
  app.use(opsRoutes(ops));
  app.use(v1Routes(ctx));
  app.use(compatRoutes(ctx));
  app.use((req, res) => {
    res
      .status(404)
      .json({ error: 'not-found', message: `no route ${req.method} ${req.path}`, retryable: false });
  });
  app.use(errorHandler(logger));
  return app;
}
