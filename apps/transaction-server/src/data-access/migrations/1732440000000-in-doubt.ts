import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A decision re-published TRX_REPUBLISH_MAX_ATTEMPTS times without every acknowledgement
 * marks its transaction in-doubt for an operator: a flag beside the status, not a status of
 * its own — the transaction is still committing or rolling back, and a late acknowledgement
 * still ends it the usual way. Retention's index rides along: it finds finished
 * transactions oldest first without reading the others.
 */
export class InDoubt1732440000000 implements MigrationInterface {
  name = 'InDoubt1732440000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE trx_transaction ADD COLUMN in_doubt_since timestamptz');
    await q.query(
      `CREATE INDEX trx_transaction_in_doubt ON trx_transaction (in_doubt_since) WHERE in_doubt_since IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX trx_transaction_finished ON trx_transaction (updated_at)
         WHERE status IN ('committed','rolled-back')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX trx_transaction_finished');
    await q.query('DROP INDEX trx_transaction_in_doubt');
    await q.query('ALTER TABLE trx_transaction DROP COLUMN in_doubt_since');
  }
}
