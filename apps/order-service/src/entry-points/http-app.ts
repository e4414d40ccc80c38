import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { Logger } from '@trx/logging';
import { httpLayerAnswer, requestDeadline } from '@trx/service-kit';
import { errorAnswer } from './error-mapper';

/** The express app: JSON in, routers, and the one place errors become answers. */
export function createHttpApp(routers: Router[], logger: Logger, requestDeadlineMs = 0): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestDeadline(requestDeadlineMs));
  app.use(express.json({ limit: '16kb' }));
  for (const router of routers) app.use(router);
  app.use((req, res) => {
    res.status(404).json({ error: 'not-found', message: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(logger));
  return app;
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // body-parser's own 4xx (malformed JSON, too large) and an undecodable path: the client's.
    const refused = httpLayerAnswer(err);
    if (refused) {
      if (!res.headersSent) res.status(refused.status).json(refused.body);
      return;
    }
    const answer = errorAnswer(err);
    if (answer.internal) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    if (answer.body.retryable) res.set('Retry-After', '1');
    res.status(answer.status).json(answer.body);
  };
}
