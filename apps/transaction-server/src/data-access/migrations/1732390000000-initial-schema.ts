import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transactions, their branches and the outbox. Status values are checked by the database
 * too, so a bug can't write a status the transition tables don't know.
 */
export class InitialSchema1732390000000 implements MigrationInterface {
  name = 'InitialSchema1732390000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trx_transaction (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('active','committing','rolling-back','committed','rolled-back')),
        decision text CHECK (decision IN ('commit','rollback')),
        reason text,
        initiator text,
        compat boolean NOT NULL DEFAULT false,
        timeout_ms integer NOT NULL,
        deadline timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        decided_at timestamptz,
        next_republish_at timestamptz,
        republish_count integer NOT NULL DEFAULT 0
      )`);
    // Partial indexes: the sweeps only ever look at undecided or unacknowledged rows.
    await q.query(
      `CREATE INDEX trx_transaction_active_deadline ON trx_transaction (deadline) WHERE status = 'active'`,
    );
    await q.query(
      `CREATE INDEX trx_transaction_republish ON trx_transaction (next_republish_at)
         WHERE status IN ('committing','rolling-back')`,
    );
    await q.query(`CREATE INDEX trx_transaction_status_created ON trx_transaction (status, created_at DESC)`);
    await q.query(`CREATE INDEX trx_transaction_created ON trx_transaction (created_at DESC)`);
    await q.query(`
      CREATE TABLE trx_branch (
        id uuid PRIMARY KEY,
        transaction_id uuid NOT NULL REFERENCES trx_transaction (id),
        service text NOT NULL,
        instance text NOT NULL,
        gid text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('registered','prepared','failed','committed','rolled-back')),
        reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX trx_branch_transaction ON trx_branch (transaction_id, created_at)`);
    await q.query(`
      CREATE TABLE trx_outbox (
        id uuid PRIMARY KEY,
        routing_key text NOT NULL,
        body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0
      )`);
    await q.query(
      `CREATE INDEX trx_outbox_unpublished ON trx_outbox (created_at) WHERE published_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE trx_outbox');
    await q.query('DROP TABLE trx_branch');
    await q.query('DROP TABLE trx_transaction');
  }
}
