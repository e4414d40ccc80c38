import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Products and the reservations taken from their stock, plus the first-run data:
 * products 1-4 with stock 100, 150, 200, 10 and prices 20, 25, 18, 60.
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  readonly name = 'InitialSchema1732300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE products (
        id integer PRIMARY KEY,
        name text NOT NULL,
        stock integer NOT NULL,
        price numeric(14,2) NOT NULL,
        CONSTRAINT products_stock_not_negative CHECK (stock >= 0),
        CONSTRAINT products_price_not_negative CHECK (price >= 0)
      )`);
    await runner.query(`
      CREATE TABLE reservations (
        id bigserial PRIMARY KEY,
        transaction_id text,
        product_id integer NOT NULL REFERENCES products (id),
        quantity integer NOT NULL,
        unit_price numeric(14,2) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reservations_quantity_positive CHECK (quantity > 0)
      )`);
    await runner.query('CREATE INDEX reservations_transaction_id_idx ON reservations (transaction_id)');
    await runner.query(`
      INSERT INTO products (id, name, stock, price) VALUES
        (1, 'Espresso beans 1 kg', 100, 20.00),
        (2, 'Pour-over kettle', 150, 25.00),
        (3, 'Ceramic mug', 200, 18.00),
        (4, 'Hand grinder', 10, 60.00)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE reservations');
    await runner.query('DROP TABLE products');
  }
}
