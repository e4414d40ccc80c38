import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { Operation } from './load-driver';
import { seedAccounts, seedProducts, withClient, type SeedPlan } from './seed';

/**
 * The upper bound: the writes of an order — stock decrement and its reservation row,
 * balance decrement and its withdrawal row, the order row and its order.confirmed outbox
 * row — in ONE local Postgres transaction, driven with pg straight from the bench process.
 * No HTTP, no services, no coordinator. The tables live in a database of the bench's own
 * (`trx_bench`) and copy the services' migrations (columns, checks, foreign keys, indexes),
 * so every statement does the same work as in the services.
 */

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS products (
     id integer PRIMARY KEY, name text NOT NULL, stock integer NOT NULL CHECK (stock >= 0),
     price numeric(14,2) NOT NULL CHECK (price >= 0))`,
  `CREATE TABLE IF NOT EXISTS reservations (
     id bigserial PRIMARY KEY, transaction_id text, product_id integer NOT NULL REFERENCES products (id),
     quantity integer NOT NULL CHECK (quantity > 0), unit_price numeric(14,2) NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now())`,
  'CREATE INDEX IF NOT EXISTS reservations_transaction_id_idx ON reservations (transaction_id)',
  'CREATE TABLE IF NOT EXISTS customers (id integer PRIMARY KEY, name text NOT NULL)',
  `CREATE TABLE IF NOT EXISTS accounts (
     id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id),
     balance numeric(14,2) NOT NULL CHECK (balance >= 0))`,
  'CREATE INDEX IF NOT EXISTS accounts_customer_id_idx ON accounts (customer_id)',
  `CREATE TABLE IF NOT EXISTS withdrawals (
     id bigserial PRIMARY KEY, transaction_id text, account_id integer NOT NULL REFERENCES accounts (id),
     amount numeric(14,2) NOT NULL CHECK (amount > 0), created_at timestamptz NOT NULL DEFAULT now())`,
  'CREATE INDEX IF NOT EXISTS withdrawals_transaction_id_idx ON withdrawals (transaction_id)',
  `CREATE TABLE IF NOT EXISTS orders (
     id uuid PRIMARY KEY, status text NOT NULL CHECK (status IN ('CONFIRMED', 'REJECTED')),
     customer_id integer NOT NULL, product_id integer NOT NULL, quantity integer NOT NULL CHECK (quantity > 0),
     unit_price numeric(14,2), total numeric(14,2), transaction_id uuid, reason text, idempotency_key text,
     created_at timestamptz NOT NULL DEFAULT now())`,
  'CREATE INDEX IF NOT EXISTS orders_customer_idx ON orders (customer_id, created_at DESC)',
  'CREATE INDEX IF NOT EXISTS orders_transaction_idx ON orders (transaction_id)',
  'CREATE INDEX IF NOT EXISTS orders_idempotency_idx ON orders (idempotency_key)',
  `CREATE TABLE IF NOT EXISTS outbox (
     id uuid PRIMARY KEY, routing_key text NOT NULL, body jsonb NOT NULL, transaction_id uuid,
     created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)`,
  'CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL',
];

export async function prepareLocalDatabase(pgUrl: string, database: string, plan: SeedPlan): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`not a plain database name: ${database}`);
  await withClient(`${pgUrl}/postgres`, async (db) => {
    const found = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await db.query(`CREATE DATABASE ${database}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another run
      });
    }
  });
  const url = `${pgUrl}/${database}`;
  await withClient(url, async (db) => {
    for (const sql of SCHEMA) await db.query(sql);
  });
  await seedProducts(url, plan);
  await seedAccounts(url, plan);
  return url;
}

export class LocalOrders {
  private readonly pool: Pool;

  constructor(
    databaseUrl: string,
    concurrency: number,
    private readonly plan: SeedPlan,
    private readonly quantity: number,
  ) {
    this.pool = new Pool({ connectionString: databaseUrl, max: concurrency });
    // A connection reset (Postgres restart) fails the query in flight; it must not crash the bench.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  operation(): Operation {
    return () => this.placeOrder();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** The order flow in one transaction; resolves undefined when committed, else an error kind. */
  private async placeOrder(): Promise<string | undefined> {
    const pick = () => Math.floor(Math.random() * this.plan.rows);
    const productId = this.plan.firstProductId + pick();
    const customerId = this.plan.firstCustomerId + pick();
    const db = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await db.query('BEGIN');
      const product = await db.query<{ price: string }>(
        'UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING price',
        [productId, this.quantity],
      );
      if (product.rowCount !== 1) return await rollback(db, 'insufficient-stock');
      const price = product.rows[0]!.price;
      await db.query(
        'INSERT INTO reservations (product_id, quantity, unit_price, transaction_id) VALUES ($1, $2, $3, NULL)',
        [productId, this.quantity, price],
      );
      const total = (Math.round(Number(price) * 100) * this.quantity) / 100;
      const accounts = await db.query<{ id: number }>(
        'SELECT id FROM accounts WHERE customer_id = $1 ORDER BY id',
        [customerId],
      );
      const accountId = accounts.rows[0]?.id;
      if (accountId === undefined) return await rollback(db, 'unknown-customer');
      const paid = await db.query(
        'UPDATE accounts SET balance = balance - $2::numeric WHERE id = $1 AND balance >= $2::numeric RETURNING balance',
        [accountId, total.toFixed(2)],
      );
      if (paid.rowCount !== 1) return await rollback(db, 'insufficient-funds');
      await db.query('INSERT INTO withdrawals (account_id, amount, transaction_id) VALUES ($1, $2, NULL)', [
        accountId,
        total.toFixed(2),
      ]);
      const orderId = randomUUID();
      await db.query(
        `INSERT INTO orders (id, status, customer_id, product_id, quantity, unit_price, total, created_at)
         VALUES ($1, 'CONFIRMED', $2, $3, $4, $5, $6, now())`,
        [orderId, customerId, productId, this.quantity, price, total.toFixed(2)],
      );
      const event = {
        type: 'order.confirmed',
        orderId,
        customerId,
        productId,
        quantity: this.quantity,
        total,
      };
      await db.query('INSERT INTO outbox (id, routing_key, body) VALUES ($1, $2, $3)', [
        randomUUID(),
        'order.confirmed',
        JSON.stringify(event),
      ]);
      await db.query('COMMIT');
      return undefined;
    } catch (err) {
      broken = err as Error;
      await db.query('ROLLBACK').catch(() => undefined);
      return `pg:${(err as { code?: string }).code ?? (err as Error).message}`;
    } finally {
      db.release(broken);
    }
  }
}

async function rollback(db: { query(sql: string): Promise<unknown> }, kind: string): Promise<string> {
  await db.query('ROLLBACK');
  return `refused:${kind}`;
}
