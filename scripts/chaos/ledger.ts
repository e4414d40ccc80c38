/**
 * The business state the invariants are about: balances, stock and orders, read straight
 * from the run's databases (not through the services, which may be lying).
 */
import { query, type RunDatabases } from './databases';
import type { Catalogue } from './order-mix';

export interface Ledger {
  /** Sum of every balance, in cents. */
  balanceCents: number;
  stock: Map<number, number>;
}

export interface OrderRow {
  id: string;
  status: string;
  customerId: number;
  productId: number;
  quantity: number;
  totalCents: number;
  transactionId: string | null;
  idempotencyKey: string | null;
}

export async function readLedger(dbs: RunDatabases): Promise<Ledger> {
  const [money] = await query<{ cents: string }>(
    dbs.url('account-service'),
    'SELECT coalesce(round(sum(balance) * 100), 0)::bigint::text AS cents FROM accounts',
  );
  const products = await query<{ id: number; stock: number }>(
    dbs.url('product-service'),
    'SELECT id, stock FROM products ORDER BY id',
  );
  return {
    balanceCents: Number(money!.cents),
    stock: new Map(products.map((p) => [Number(p.id), Number(p.stock)])),
  };
}

export async function readCatalogue(dbs: RunDatabases): Promise<Catalogue> {
  const customers = await query<{ id: number; balance: string }>(
    dbs.url('account-service'),
    'SELECT customer_id AS id, sum(balance)::text AS balance FROM accounts GROUP BY customer_id ORDER BY customer_id',
  );
  const products = await query<{ id: number; stock: number; price: string }>(
    dbs.url('product-service'),
    'SELECT id, stock, price::text AS price FROM products ORDER BY id',
  );
  return {
    customers: customers.map((c) => ({ id: Number(c.id), balance: Number(c.balance) })),
    products: products.map((p) => ({ id: Number(p.id), stock: Number(p.stock), price: Number(p.price) })),
  };
}

/**
 * The seed (stock 100-200, balances 1000-5000) would be sold out within a minute of load,
 * after which every order is a refusal and the run proves little. Top up all but the
 * scarcest product and the poorest customer, which stay as seeded so that running out of
 * stock and money happens for real under load.
 */
export async function topUp(dbs: RunDatabases, catalogue: Catalogue): Promise<void> {
  const scarcest = [...catalogue.products].sort((a, b) => a.stock - b.stock)[0];
  const poorest = [...catalogue.customers].sort((a, b) => a.balance - b.balance)[0];
  await query(dbs.url('product-service'), 'UPDATE products SET stock = 100000 WHERE id <> $1', [
    scarcest?.id ?? -1,
  ]);
  await query(dbs.url('account-service'), 'UPDATE accounts SET balance = 1000000 WHERE customer_id <> $1', [
    poorest?.id ?? -1,
  ]);
}

export async function readOrders(dbs: RunDatabases): Promise<OrderRow[]> {
  const rows = await query<Record<string, string | number | null>>(
    dbs.url('order-service'),
    `SELECT id::text, status, customer_id, product_id, quantity,
            coalesce(round(total * 100), 0)::bigint::text AS total_cents,
            transaction_id::text, idempotency_key
       FROM orders`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    status: String(r.status),
    customerId: Number(r.customer_id),
    productId: Number(r.product_id),
    quantity: Number(r.quantity),
    totalCents: Number(r.total_cents),
    transactionId: r.transaction_id === null ? null : String(r.transaction_id),
    idempotencyKey: r.idempotency_key === null ? null : String(r.idempotency_key),
  }));
}

/** The transactions whose effects each participant kept (committed rows), for a per-transaction check. */
export interface EffectRows {
  withdrawals: { transactionId: string; cents: number }[];
  reservations: { transactionId: string; productId: number; quantity: number }[];
}

export async function readEffects(dbs: RunDatabases): Promise<EffectRows> {
  const withdrawals = await query<{ transaction_id: string; cents: string }>(
    dbs.url('account-service'),
    'SELECT transaction_id, round(amount * 100)::bigint::text AS cents FROM withdrawals',
  );
  const reservations = await query<{ transaction_id: string; product_id: number; quantity: number }>(
    dbs.url('product-service'),
    'SELECT transaction_id, product_id, quantity FROM reservations',
  );
  return {
    withdrawals: withdrawals.map((w) => ({
      transactionId: String(w.transaction_id),
      cents: Number(w.cents),
    })),
    reservations: reservations.map((r) => ({
      transactionId: String(r.transaction_id),
      productId: Number(r.product_id),
      quantity: Number(r.quantity),
    })),
  };
}

/** Where an order.confirmed event was found. */
export type OrderEventSource = 'coordinator' | 'coordinator-outbox' | 'order-outbox';

export interface OrderEvent {
  orderId: string;
  /** The transaction that carried it; null for a baseline-era order outbox row. */
  transactionId: string | null;
  published: boolean;
  source: OrderEventSource;
}

/**
 * Every order.confirmed the run's databases know of, and whether it went out:
 *
 * - `coordinator` (protocol v2): the order-service hands the event over with its commit and
 *   the coordinator keeps it in trx_transaction.events (`[{routingKey, body}]`), publishing it
 *   with the decision only if that is a commit, then sets `announced`. Published = announced
 *   AND decision = 'commit' — unless a copy of it (same messageId) still waits unpublished in
 *   trx_outbox: a late announcement (the sweeper's, after the publisher's coordinator died)
 *   marks the row announced and puts the messages in trx_outbox in one local transaction.
 * - `coordinator-outbox`: an order.confirmed in trx_outbox that no transaction's events
 *   carry (should not happen; read so that such a message is not missed).
 * - `order-outbox`: the order-service's own outbox, written in its local commit and sent by
 *   its relay; used in baseline mode only now, so normally empty in a chaos run. Still read,
 *   so a row there (a baseline-era order, or one written by mistake) is judged too.
 */
export async function readOrderEvents(dbs: RunDatabases): Promise<OrderEvent[]> {
  const coordinator = await query<{
    order_id: string;
    transaction_id: string;
    published: boolean;
    source: OrderEventSource;
  }>(
    dbs.url('transaction-server'),
    `SELECT e->'body'->>'orderId' AS order_id, t.id::text AS transaction_id, 'coordinator' AS source,
            (t.announced AND t.decision IS NOT DISTINCT FROM 'commit' AND NOT EXISTS (
               SELECT 1 FROM trx_outbox o
                WHERE o.published_at IS NULL AND o.routing_key = e->>'routingKey'
                  AND o.body->>'messageId' = e->'body'->>'messageId')) AS published
       FROM trx_transaction t
      CROSS JOIN LATERAL jsonb_array_elements(
              CASE WHEN jsonb_typeof(t.events) = 'array' THEN t.events ELSE '[]'::jsonb END) AS e
      WHERE e->>'routingKey' = $1
     UNION ALL
     SELECT o.body->>'orderId', o.body->>'transactionId', 'coordinator-outbox', o.published_at IS NOT NULL
       FROM trx_outbox o
      WHERE o.routing_key = $1
        AND NOT EXISTS (
              SELECT 1 FROM trx_transaction t, jsonb_array_elements(
                       CASE WHEN jsonb_typeof(t.events) = 'array' THEN t.events ELSE '[]'::jsonb END) AS e
               WHERE e->'body'->>'messageId' = o.body->>'messageId')`,
    [ORDER_CONFIRMED],
  );
  const outbox = await query<{ order_id: string; published: boolean }>(
    dbs.url('order-service'),
    `SELECT body->>'orderId' AS order_id, published_at IS NOT NULL AS published FROM outbox`,
  );
  return [
    ...coordinator.map((r) => ({
      orderId: String(r.order_id),
      transactionId: r.transaction_id === null ? null : String(r.transaction_id),
      published: r.published,
      source: r.source,
    })),
    ...outbox.map((r) => ({
      orderId: String(r.order_id),
      transactionId: null,
      published: r.published,
      source: 'order-outbox' as const,
    })),
  ];
}

/** The routing key of the order-service's event (libs/protocol routingKeys.orderConfirmed). */
const ORDER_CONFIRMED = 'order.confirmed';
