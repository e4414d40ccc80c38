import type { ErrorRequestHandler } from 'express';
import { isConnectionError } from '@trx/db';
import type { Logger } from '@trx/logging';
import { participantErrorAnswer } from '@trx/participant';
import type { ErrorBody } from '@trx/protocol';

/** An HTTP answer: status and the `{ error, message, details?, retryable? }` body. */
export interface HttpAnswer {
  status: number;
  body: ErrorBody;
}

/** An app's own mapping of some errors to answers; undefined for errors it does not know. */
export type ErrorMapper = (err: unknown) => HttpAnswer | undefined;

/** The participant runtime's refusals and outages (409, 425, 503 ...) as answers. */
export const participantErrors: ErrorMapper = (err) => {
  const answer = participantErrorAnswer(err);
  return answer && { status: answer.httpStatus, body: answer.body };
};

/**
 * The one place where errors become HTTP answers: `{ error, message, details?, retryable? }`
 * with a stable kebab-case code. No stack traces on the wire.
 */
export function errorHandler(logger: Logger, mappers: ErrorMapper[] = []): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // Answered already (the request's deadline passed): the late outcome has nowhere to go.
    if (res.headersSent) return;
    const { status, body } = answerFor(err, mappers);
    const transactionId = req.get('x-transaction-id');
    if (status >= 500) logger.error({ err, transactionId, path: req.path }, 'request failed');
    else logger.debug({ transactionId, path: req.path, error: body.error }, 'request refused');
    if (status === 503 && body.retryable) res.set('Retry-After', '1');
    res.status(status).json(body);
  };
}

/**
 * The answer for an error: the first mapper that knows it, else a domain error's own
 * `code` + `httpStatus` (see ServiceError), else 400 for a body that is not JSON, else 500.
 */
export function answerFor(err: unknown, mappers: ErrorMapper[] = []): HttpAnswer {
  for (const mapper of mappers) {
    const answer = mapper(err);
    if (answer) return answer;
  }
  const e = err as { code?: unknown; httpStatus?: unknown; details?: unknown; message?: string };
  if (typeof e.code === 'string' && typeof e.httpStatus === 'number') {
    const body: ErrorBody = { error: e.code, message: e.message ?? e.code };
    if (e.details !== undefined) body.details = e.details;
    return { status: e.httpStatus, body };
  }
  if ((err as { type?: string }).type === 'entity.parse.failed') {
    return { status: 400, body: { error: 'invalid-request', message: 'the body is not valid JSON' } };
  }
  // No pooled connection within DB_CONNECTION_TIMEOUT_MS, or the database went away: retry.
  if (isConnectionError(err)) {
    const message = "the service's database is unavailable or busy; retry";
    return { status: 503, body: { error: 'database-unavailable', message, retryable: true } };
  }
  return { status: 500, body: { error: 'internal-error', message: 'the request could not be completed' } };
}
