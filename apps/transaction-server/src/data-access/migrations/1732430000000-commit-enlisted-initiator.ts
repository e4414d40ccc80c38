import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CommitEnlistedFunction1732410000000 } from './1732410000000-commit-enlisted-function';

/**
 * Only a transaction's initiator may commit it. `trx_commit_enlisted` gets the caller's
 * identity and writes nothing when it is not the initiator: the general path then loads the
 * row and refuses with 403 (domain/authorization.ts owns the rule; this is its one-statement
 * twin, tested by commit-enlisted.int.test.ts).
 */
export class CommitEnlistedInitiator1732430000000 implements MigrationInterface {
  name = 'CommitEnlistedInitiator1732430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP FUNCTION trx_commit_enlisted(uuid, timestamptz, timestamptz, uuid[], text[], text[], text[], boolean[], uuid[], text[], jsonb[])',
    );
    await q.query(`
      CREATE FUNCTION trx_commit_enlisted(
        p_id uuid, p_now timestamptz, p_republish_at timestamptz,
        p_branch_ids uuid[], p_services text[], p_instances text[], p_gids text[], p_by_caller boolean[],
        p_message_ids uuid[], p_routing_keys text[], p_bodies jsonb[], p_initiator text)
      RETURNS SETOF trx_transaction
      LANGUAGE plpgsql AS $$
      DECLARE
        t trx_transaction;
      BEGIN
        SELECT * INTO t FROM trx_transaction WHERE id = p_id FOR UPDATE;
        -- Two EXISTS, not one with OR: each is an index probe (an OR of the two is a scan of the table).
        IF NOT FOUND OR t.status <> 'active' OR t.compat OR t.deadline <= p_now
           OR t.initiator IS DISTINCT FROM p_initiator
           OR EXISTS (SELECT 1 FROM trx_branch WHERE transaction_id = p_id)
           OR EXISTS (SELECT 1 FROM trx_branch WHERE gid = ANY (p_gids)) THEN
          RETURN;
        END IF;
        -- A microsecond apart, so the branches list in the order they were enlisted.
        INSERT INTO trx_branch
               (id, transaction_id, service, instance, gid, status, created_at, updated_at, finished_by_caller)
        SELECT u.id, p_id, u.service, u.instance, u.gid, 'prepared',
               p_now + u.n * interval '1 microsecond', p_now + u.n * interval '1 microsecond', u.by_caller
          FROM unnest(p_branch_ids, p_services, p_instances, p_gids, p_by_caller)
               WITH ORDINALITY AS u (id, service, instance, gid, by_caller, n);
        UPDATE trx_transaction
           SET status = 'committing', decision = 'commit', reason = NULL, decided_at = p_now,
               next_republish_at = p_republish_at, updated_at = p_now
         WHERE id = p_id
        RETURNING * INTO t;
        INSERT INTO trx_outbox (id, routing_key, body)
        SELECT * FROM unnest(p_message_ids, p_routing_keys, p_bodies);
        RETURN NEXT t;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP FUNCTION trx_commit_enlisted(uuid, timestamptz, timestamptz, uuid[], text[], text[], text[], boolean[], uuid[], text[], jsonb[], text)',
    );
    await new CommitEnlistedFunction1732410000000().up(q);
  }
}
