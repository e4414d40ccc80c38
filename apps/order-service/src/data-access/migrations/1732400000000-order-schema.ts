import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Orders, the order.confirmed outbox and Idempotency-Keys. */
export class OrderSchema1732400000000 implements MigrationInterface {
  name = 'OrderSchema1732400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('CONFIRMED', 'REJECTED')),
        customer_id integer NOT NULL,
        product_id integer NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price numeric(14,2),
        total numeric(14,2),
        transaction_id uuid,
        reason text,
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC)');
    await runner.query('CREATE INDEX orders_transaction_idx ON orders (transaction_id)');
    await runner.query('CREATE INDEX orders_idempotency_idx ON orders (idempotency_key)');
    await runner.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY,
        routing_key text NOT NULL,
        body jsonb NOT NULL,
        transaction_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await runner.query(
      'CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL',
    );
    await runner.query(`
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        fingerprint text NOT NULL,
        state text NOT NULL CHECK (state IN ('in-progress', 'done')),
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE idempotency_keys');
    await runner.query('DROP TABLE outbox');
    await runner.query('DROP TABLE orders');
  }
}
