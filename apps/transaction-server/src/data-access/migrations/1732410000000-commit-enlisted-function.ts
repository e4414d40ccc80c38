import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The usual commit in one statement: the initiator enlists every branch and nobody else
 * registered one. `trx_commit_enlisted` locks the transaction row, checks that it is active,
 * in time, not a Spring-sample transaction and has no branch yet, then inserts the branches
 * as prepared, writes the commit decision and its outbox rows, and returns the row. In
 * every other case it writes nothing and returns no row: the caller then decides the
 * general way. The outbox bodies are built by the caller, which knows them: they name only
 * the transaction, its new status and the enlisted branches.
 */
export class CommitEnlistedFunction1732410000000 implements MigrationInterface {
  name = 'CommitEnlistedFunction1732410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION trx_commit_enlisted(
        p_id uuid, p_now timestamptz, p_republish_at timestamptz,
        p_branch_ids uuid[], p_services text[], p_instances text[], p_gids text[], p_by_caller boolean[],
        p_message_ids uuid[], p_routing_keys text[], p_bodies jsonb[])
      RETURNS SETOF trx_transaction
      LANGUAGE plpgsql AS $$
      DECLARE
        t trx_transaction;
      BEGIN
        SELECT * INTO t FROM trx_transaction WHERE id = p_id FOR UPDATE;
        -- Two EXISTS, not one with OR: each is an index probe (an OR of the two is a scan of the table).
        IF NOT FOUND OR t.status <> 'active' OR t.compat OR t.deadline <= p_now
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
      'DROP FUNCTION trx_commit_enlisted(uuid, timestamptz, timestamptz, uuid[], text[], text[], text[], boolean[], uuid[], text[], jsonb[])',
    );
  }
}
