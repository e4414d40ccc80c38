import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customers, their accounts and the withdrawals taken from them, plus the first-run data:
 * customers 1, 2, 3 with one account each (balances 1000, 2000, 5000).
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  readonly name = 'InitialSchema1732300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE customers (
        id integer PRIMARY KEY,
        name text NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE accounts (
        id integer PRIMARY KEY,
        customer_id integer NOT NULL REFERENCES customers (id),
        balance numeric(14,2) NOT NULL,
        CONSTRAINT accounts_balance_not_negative CHECK (balance >= 0)
      )`);
    await runner.query('CREATE INDEX accounts_customer_id_idx ON accounts (customer_id)');
    await runner.query(`
      CREATE TABLE withdrawals (
        id bigserial PRIMARY KEY,
        transaction_id text,
        account_id integer NOT NULL REFERENCES accounts (id),
        amount numeric(14,2) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT withdrawals_amount_positive CHECK (amount > 0)
      )`);
    await runner.query('CREATE INDEX withdrawals_transaction_id_idx ON withdrawals (transaction_id)');
    await runner.query(
      `INSERT INTO customers (id, name) VALUES (1, 'Ada Lovelace'), (2, 'Alan Turing'), (3, 'Grace Hopper')`,
    );
    await runner.query(
      `INSERT INTO accounts (id, customer_id, balance) VALUES (1, 1, 1000.00), (2, 2, 2000.00), (3, 3, 5000.00)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE withdrawals');
    await runner.query('DROP TABLE accounts');
    await runner.query('DROP TABLE customers');
  }
}
