import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';

/** The time and connection bounds of one HTTP server (the HTTP_* config keys). */
export interface HttpLimits {
  /** Whole request headers must arrive within this (Node answers 408 and closes). */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this (408). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections open at once; more are closed on accept, so a balancer tries another replica. */
  maxConnections: number;
  /** A request not answered within this gets 503 `request-timeout` (see requestDeadline). */
  requestDeadlineMs: number;
}

/** The defaults of the HTTP_* keys (config-keys.ts), for servers started without configuration. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  requestDeadlineMs: 30_000,
};

/**
 * An http.Server with the bounds applied. Node checks headersTimeout and requestTimeout only
 * every `connectionsCheckingInterval` (30 s by default, which would let a slow client hold a
 * socket for 30 s past its bound), so the interval follows the headers timeout.
 */
export function createBoundedServer(app: RequestListener, limits: HttpLimits): Server {
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', answerClientError);
  return server;
}

/**
 * What Node's parser refuses before any route runs (a control character in a header, headers
 * too large, a request too slow) gets the API's error shape, not Node's bare status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // Like Node's own answer: only on a socket that has not begun another answer.
  if (err.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const [status, error, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', 'the request did not arrive in time']
        : [400, 'invalid-request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Listens on host:port; resolves once bound. */
export function listenOn(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * A deadline per request: a request not answered within `ms` gets
 * `503 {error: "request-timeout", retryable: true}` with Retry-After, and the connection
 * stays usable. The handler may still be running; its late answer is dropped (error
 * handlers check `res.headersSent`), and `res.locals.deadlineExceeded` tells it to stop.
 */
export function requestDeadline(ms: number): RequestHandler {
  return (_req, res, next) => {
    if (!(ms > 0)) return next();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.locals.deadlineExceeded = true;
      res.set('Retry-After', '1');
      res.status(503).json({
        error: 'request-timeout',
        message: `the request was not answered within ${ms} ms; retry`,
        retryable: true,
      });
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
