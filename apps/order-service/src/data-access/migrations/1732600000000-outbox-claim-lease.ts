import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox relay claims rows with a lease instead of holding them locked in a transaction
 * open across the publish (the coordinator's trx_outbox does the same): a claim is one
 * statement, and the rows of a relay that died mid-publish are claimed again once the lease
 * ran out.
 */
export class OutboxClaimLease1732600000000 implements MigrationInterface {
  name = 'OutboxClaimLease1732600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE outbox ADD COLUMN claimed_until timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE outbox DROP COLUMN claimed_until');
  }
}
