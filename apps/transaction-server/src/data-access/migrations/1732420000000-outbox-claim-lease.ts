import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox relay claims rows with a lease instead of holding them locked in an open
 * transaction while it publishes: a claim is one statement, and the rows of a relay that
 * died mid-publish are claimed again once the lease ran out.
 */
export class OutboxClaimLease1732420000000 implements MigrationInterface {
  name = 'OutboxClaimLease1732420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE trx_outbox ADD COLUMN claimed_until timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE trx_outbox DROP COLUMN claimed_until');
  }
}
