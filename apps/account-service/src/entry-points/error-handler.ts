import type { ErrorRequestHandler } from 'express';
import type { Logger } from '@trx/logging';
import { participantErrorAnswer } from '@trx/participant';
import type { ErrorBody } from '@trx/protocol';

/**
 * The one place where errors become HTTP answers: `{ error, message, details?, retryable? }`
 * with a stable kebab-case code. No stack traces on the wire.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body } = answerFor(err);
    const transactionId = req.get('x-transaction-id');
    if (status >= 500) logger.error({ err, transactionId, path: req.path }, 'request failed');
    else logger.debug({ transactionId, path: req.path, error: body.error }, 'request refused');
    res.status(status).json(body);
  };
}

export function answerFor(err: unknown): { status: number; body: ErrorBody } {
  const e = err as {
    name?: string;
    code?: unknown;
    httpStatus?: unknown;
    details?: unknown;
    message?: string;
  };
  const runtime = participantErrorAnswer(err);
  if (runtime) return { status: runtime.httpStatus, body: runtime.body };
  if (typeof e.code === 'string' && typeof e.httpStatus === 'number') {
    // The service's own domain errors carry their answer.
    const body: ErrorBody = { error: e.code, message: e.message ?? e.code };
    if (e.details !== undefined) body.details = e.details;
    return { status: e.httpStatus, body };
  }
  if ((err as { type?: string }).type === 'entity.parse.failed') {
    return { status: 400, body: { error: 'invalid-request', message: 'the body is not valid JSON' } };
  }
  return { status: 500, body: { error: 'internal-error', message: 'the request could not be completed' } };
}
