import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the retention job reads by: published outbox rows and Idempotency-Keys by age. */
export class RetentionIndexes1732500000000 implements MigrationInterface {
  name = 'RetentionIndexes1732500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL',
    );
    await runner.query('CREATE INDEX idempotency_keys_updated_idx ON idempotency_keys (updated_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX idempotency_keys_updated_idx');
    await runner.query('DROP INDEX outbox_published_idx');
  }
}
