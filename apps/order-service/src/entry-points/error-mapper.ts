import { isConnectionError } from '@trx/db';
import type { ErrorBody } from '@trx/protocol';
import { httpLayerAnswer, type ErrorMapper, type HttpAnswer } from '@trx/service-kit';
import type { OrderRecord } from '../domain/order-types';

/**
 * The order-service's error answers, plugged into service-kit's error handler (the one place
 * errors become answers): the HTTP layer's refusals first, then `errorAnswer`, which knows
 * every error — so the kit's own defaults never answer for this app.
 */
export const orderErrorMappers: ErrorMapper[] = [httpLayerAnswer, (err) => errorAnswer(err)];

/** The one table of error code → HTTP status (409 = refused/rolled back, 425 = in progress, 5xx = retry). */
const STATUS_BY_CODE: Record<string, number> = {
  'invalid-request': 400,
  forbidden: 403,
  'order-not-found': 404,
  'insufficient-stock': 409,
  'insufficient-funds': 409,
  'unknown-product': 409,
  'unknown-customer': 409,
  'transaction-rolled-back': 409,
  'idempotency-key-reused': 422,
  'request-in-progress': 425,
  'injected-fault': 500,
  'internal-error': 500,
  'participant-unavailable': 503,
  'coordinator-unavailable': 503,
  'database-unavailable': 503,
  'too-busy': 503,
};

/**
 * What a 5xx says in public: which dependency, never how it failed — a cause names hosts,
 * ports and driver messages. The cause goes to the log.
 */
function publicMessage(code: string, err: unknown): string | undefined {
  const service = (err as { service?: unknown } | null)?.service;
  if (code === 'participant-unavailable')
    return `${typeof service === 'string' ? service : 'a service the order needs'} is unavailable; retry`;
  if (code === 'coordinator-unavailable') return 'the transaction coordinator is unavailable; retry';
  if (code === 'database-unavailable') return 'the order database is unavailable; retry';
  return undefined;
}

export interface Answer {
  status: number;
  body: unknown;
}

export class OrderNotFoundError extends Error {
  override readonly name = 'OrderNotFoundError';
  readonly code = 'order-not-found';
  readonly retryable = false;
  constructor(readonly orderId: string) {
    super(`order ${orderId} does not exist`);
  }
}

export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** The answer for an order that was kept REJECTED. Retryable outages answer without the order shape. */
export function rejectedOrderAnswer(order: OrderRecord, error: Error & { code?: string }): Answer {
  const code = order.reason ?? 'internal-error';
  const status = statusOf(code);
  const details = { orderId: order.id, transactionId: order.transactionId };
  if (status === 503) {
    const message = publicMessage(code, error) ?? 'unavailable; retry';
    return { status, body: { error: code, message, retryable: true, details } };
  }
  if (code === 'internal-error') {
    return { status, body: { error: code, message: 'the order failed unexpectedly', details } };
  }
  const body = { id: order.id, status: order.status, error: code, message: error.message };
  return { status, body: { ...body, transactionId: order.transactionId } };
}

/** The answer for a thrown error: known codes keep their message, anything else is a bare internal-error. */
export function errorAnswer(err: unknown): HttpAnswer {
  const e = err as { code?: unknown; message?: string; details?: unknown; retryable?: unknown } | null;
  const code = typeof e?.code === 'string' && e.code in STATUS_BY_CODE ? e.code : undefined;
  // The service's own database went away mid-request (a restart): a retryable outage, not a bug.
  if (!code && isConnectionError(err)) {
    const body: ErrorBody = {
      error: 'database-unavailable',
      message: 'the order database is unavailable; retry',
      retryable: true,
    };
    return { status: 503, body };
  }
  if (!code || code === 'internal-error') {
    const body: ErrorBody = { error: 'internal-error', message: 'an unexpected error occurred' };
    return { status: 500, body };
  }
  const body: ErrorBody = { error: code, message: publicMessage(code, err) ?? e?.message ?? code };
  if (e?.details !== undefined) body.details = e.details;
  if (e?.retryable === true) body.retryable = true;
  return { status: statusOf(code), body };
}
