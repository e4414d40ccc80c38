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

/** The order-service's order.confirmed outbox: one row per committed order, published by its relay. */
export async function readOrderEvents(dbs: RunDatabases): Promise<{ orderId: string; published: boolean }[]> {
  const rows = await query<{ order_id: string; published: boolean }>(
    dbs.url('order-service'),
    `SELECT body->>'orderId' AS order_id, published_at IS NOT NULL AS published FROM outbox`,
  );
  return rows.map((r) => ({ orderId: String(r.order_id), published: r.published }));
}
