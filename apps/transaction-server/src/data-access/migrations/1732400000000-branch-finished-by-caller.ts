import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Branches the initiator enlists with its commit may be finished by the initiator itself
 * (it runs COMMIT/ROLLBACK PREPARED once answered): the decision is not published for
 * them at decision time, only when it is re-published because they did not acknowledge.
 */
export class BranchFinishedByCaller1732400000000 implements MigrationInterface {
  name = 'BranchFinishedByCaller1732400000000';

  async up(q: QueryRunner): Promise<void> {
    // A constant default: Postgres records it in the catalog, no table rewrite.
    await q.query(`ALTER TABLE trx_branch ADD COLUMN finished_by_caller boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE trx_branch DROP COLUMN finished_by_caller');
  }
}
