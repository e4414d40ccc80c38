import { Router, type Request, type Response } from 'express';
import type { CustomerVerifier } from '@trx/auth';
import { pageOf } from '@trx/service-kit';
import { assertActsFor, authenticateCustomer, maySee, principalOf } from './customer-auth';
import type { PlaceOrderResult } from '../domain/place-order';
import { runIdempotent, type IdempotencyStore } from '../domain/idempotent-request';
import type { PlaceOrderInput } from '../domain/order-types';
import type { KeyedLimiter } from '../domain/keyed-limiter';
import type { OrderRepository } from '../data-access/order-repository';
import { errorAnswer, OrderNotFoundError, rejectedOrderAnswer, type Answer } from './error-mapper';
import { fingerprintOf, parseOrderListQuery, parseOrderRequest } from './order-request';
import { isUuid } from '@trx/protocol';
import { confirmedBody, orderView } from './order-views';
import type { OrderMetrics } from './order-metrics';

/** How one POST /orders is placed (the composition root chooses: see start.ts). */
export interface OrderFlow {
  place(input: PlaceOrderInput): Promise<PlaceOrderResult>;
  /** Part of the Idempotency-Key fingerprint: the same key asked of another variant is another request. */
  variant: string | null;
  /** Called after a confirmed order. */
  onConfirmed?: () => void;
}

export interface OrderRoutesOptions {
  /** The flow of this request; may refuse the request (400) before anything runs. */
  flowFor: (req: Request) => OrderFlow;
  orders: OrderRepository;
  idempotency: IdempotencyStore;
  metrics: OrderMetrics;
  /** An in-progress Idempotency-Key older than this belongs to a crashed attempt. */
  idempotencyStaleMs: number;
  /** Bounds concurrent orders per product and per customer (see KeyedLimiter). */
  limiter: KeyedLimiter;
  /** Customers' JWTs (the operator is known by its service token). */
  customers: CustomerVerifier;
}

export function orderRoutes(o: OrderRoutesOptions): Router {
  const router = Router();
  router.use('/orders', authenticateCustomer(o.customers));
  router.post('/orders', async (req: Request, res: Response) => {
    const input = parseOrderRequest(req);
    const flow = o.flowFor(req);
    assertActsFor(principalOf(res), input.customerId, 'order');
    const done = o.metrics.startOrder();
    try {
      // Queued before the key is claimed, so an in-progress key's age is the attempt's own.
      const keys = [`product:${input.productId}`, `customer:${input.customerId}`];
      const answer = await o.limiter.run(keys, () => placeIdempotently(o, input, flow));
      if (answer.replayed) o.metrics.replayed();
      done(outcomeOf(answer));
      if (res.headersSent) return; // the request's deadline answered already (REQUEST_DEADLINE_MS)
      if (answer.status === 503) res.set('Retry-After', '1');
      res.status(answer.status).json(answer.body);
    } catch (err) {
      done(errorAnswer(err).body.error);
      throw err;
    }
  });
  router.get('/orders/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const order = isUuid(id) ? await o.orders.findById(id) : undefined;
    if (!order || !maySee(principalOf(res), order.customerId)) throw new OrderNotFoundError(id);
    res.json(orderView(order));
  });
  router.get('/orders', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    // A customer may leave customerId out: their own orders.
    const own = principal.kind === 'customer' && req.query.customerId === undefined;
    const query = own ? { ...req.query, customerId: String(principal.customerId) } : req.query;
    const { customerId, limit, after } = parseOrderListQuery(query);
    assertActsFor(principal, customerId, 'read');
    const rows = await o.orders.findByCustomer(customerId, limit + 1, after);
    res.json(pageOf(rows, limit, (r) => [r.createdAt, r.id], orderView));
  });
  return router;
}

async function placeIdempotently(o: OrderRoutesOptions, input: PlaceOrderInput, flow: OrderFlow) {
  return runIdempotent({
    store: o.idempotency,
    key: input.idempotencyKey,
    fingerprint: fingerprintOf(input, flow.variant),
    staleAfterMs: o.idempotencyStaleMs,
    recover: async () => {
      const order = await o.orders.findConfirmedByKey(input.idempotencyKey!);
      return order ? { status: 201, body: confirmedBody(order) } : undefined;
    },
    run: async () => {
      const result = await flow.place(input);
      if (result.outcome === 'confirmed') {
        flow.onConfirmed?.();
        return { status: 201, body: confirmedBody(result.order), keep: true };
      }
      const answer: Answer = rejectedOrderAnswer(result.order, result.error);
      // A retryable outage is not memorised: retrying with the same key gets a fresh attempt.
      return { ...answer, keep: answer.status !== 503 };
    },
  });
}

function outcomeOf(answer: Answer): string {
  if (answer.status === 201) return 'confirmed';
  return String((answer.body as { error?: string }).error ?? answer.status);
}
