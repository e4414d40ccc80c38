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
    // "Come back in a second" for a retryable outage (503) or a request still in progress (425).
    if ((status === 503 || status === 425) && body.retryable) res.set('Retry-After', '1');
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
  const refused = httpLayerAnswer(err);
  if (refused) return refused;
  // No pooled connection within DB_CONNECTION_TIMEOUT_MS, or the database went away: retry.
  if (isConnectionError(err)) {
    const message = "the service's database is unavailable or busy; retry";
    return { status: 503, body: { error: 'database-unavailable', message, retryable: true } };
  }
  return { status: 500, body: { error: 'internal-error', message: 'the request could not be completed' } };
}

/**
 * What the HTTP layer refuses before a route runs: body-parser's (not JSON 400, too large 413,
 * a charset or content-encoding it can't read 415) and the router's path that is not valid
 * percent-encoding (URIError, 400). Fixed messages: nothing of the parser's text goes out.
 */
export function httpLayerAnswer(err: unknown): HttpAnswer | undefined {
  const e = err as { status?: unknown; expose?: unknown; name?: unknown; type?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : 0;
  if (status < 400 || status > 499 || (e?.expose !== true && e?.name !== 'URIError')) return undefined;
  if (status === 413) {
    return { status, body: { error: 'body-too-large', message: 'the body is larger than this API accepts' } };
  }
  if (status === 415) {
    const message = 'the body must be JSON in UTF-8, plain or gzip, deflate or br encoded';
    return { status, body: { error: 'unsupported-media-type', message } };
  }
  const message =
    e?.name === 'URIError'
      ? 'the path is not valid percent-encoding'
      : e?.type === 'entity.parse.failed'
        ? 'the body is not valid JSON'
        : 'the request is not valid';
  return { status: 400, body: { error: 'invalid-request', message } };
}
