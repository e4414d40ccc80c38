import type { ErrorRequestHandler } from 'express';
import type { Logger } from '@trx/logging';
import type { ErrorBody } from '@trx/protocol';
import { httpLayerAnswer } from '@trx/service-kit';
import { isCoordinatorError } from '../../domain/errors';

/**
 * The one place errors become HTTP answers: typed coordinator errors keep their status
 * and code; anything else is a retryable 503 (database or broker trouble) or 500. No
 * stack traces on the wire.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // Answered already (the request's deadline passed): the late outcome has nowhere to go.
    if (res.headersSent) return;
    if (isCoordinatorError(err)) {
      const body: ErrorBody = { error: err.code, message: err.message, retryable: err.retryable };
      if (err.status !== undefined) body.status = err.status;
      if (err.details !== undefined) body.details = err.details;
      res.status(err.httpStatus).json(body);
      return;
    }
    // Before any route: a body that is not JSON, too large, unreadable; a path that does not decode.
    const refused = httpLayerAnswer(err);
    if (refused) {
      res.status(refused.status).json({ ...refused.body, retryable: false });
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'request failed');
    const body: ErrorBody = {
      error: 'coordinator-unavailable',
      message: 'the coordinator could not complete the request; retry',
      retryable: true,
    };
    res.set('Retry-After', '1').status(503).json(body);
  };
}
