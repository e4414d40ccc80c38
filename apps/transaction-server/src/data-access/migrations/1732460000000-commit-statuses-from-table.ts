import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `trx_commit_v3`: `trx_commit_v2` with the statuses passed in instead of written into it.
 * The caller (domain/state-machine.ts) reads them from the transition and entry tables of
 * @trx/protocol, so the one table governs this write like every other:
 *
 * - `p_from`: the statuses a begun transaction may be committed from (v2: `'active'`);
 * - `p_next`: the status the decision writes, also the one a transaction this commit creates
 *   starts with (v2: `'committing'`);
 * - `p_branch_status`: the status enlisted branches are inserted with (v2: `'prepared'`).
 *
 * Same parameters otherwise, same statement, same round trip. `trx_commit_v2` stays: a
 * replica not yet upgraded still calls it during a rolling upgrade (and its literals equal
 * what the tables give today).
 */
export class CommitStatusesFromTable1732460000000 implements MigrationInterface {
  name = 'CommitStatusesFromTable1732460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION trx_commit_v3(
        p_id uuid, p_now timestamptz, p_republish_at timestamptz, p_create boolean,
        p_created_at timestamptz, p_timeout_ms integer, p_deadline timestamptz,
        p_branch_ids uuid[], p_services text[], p_instances text[], p_gids text[], p_by_caller boolean[],
        p_events jsonb, p_initiator text, p_from text[], p_next text, p_branch_status text)
      RETURNS SETOF trx_transaction
      LANGUAGE plpgsql AS $$
      DECLARE
        t trx_transaction;
        created boolean := false;
      BEGIN
        -- A transaction nobody told the coordinator of yet (p_create: its id is a UUIDv7): its
        -- first word is this commit. A concurrent first word (a tombstone, a registration)
        -- makes this a no-op, and the row is read below like any begun one.
        IF p_create THEN
        INSERT INTO trx_transaction
               (id, status, decision, initiator, compat, timeout_ms, deadline, created_at, updated_at,
                decided_at, next_republish_at, announced, events)
        VALUES (p_id, p_next, 'commit', p_initiator, false, p_timeout_ms, p_deadline, p_created_at, p_now,
                p_now, p_republish_at, false, p_events)
        ON CONFLICT (id) DO NOTHING
        RETURNING * INTO t;
        created := FOUND;
        END IF;
        IF NOT created THEN
          SELECT * INTO t FROM trx_transaction WHERE id = p_id FOR UPDATE;
          -- Two EXISTS, not one with OR: each is an index probe (an OR of the two is a scan of the table).
          IF NOT FOUND OR NOT (t.status = ANY (p_from)) OR t.compat OR t.deadline <= p_now
             OR t.initiator IS DISTINCT FROM p_initiator
             OR EXISTS (SELECT 1 FROM trx_branch WHERE transaction_id = p_id)
             OR EXISTS (SELECT 1 FROM trx_branch WHERE gid = ANY (p_gids)) THEN
            RETURN;
          END IF;
          UPDATE trx_transaction
             SET status = p_next, decision = 'commit', reason = NULL, decided_at = p_now,
                 next_republish_at = p_republish_at, updated_at = p_now, announced = false, events = p_events
           WHERE id = p_id
          RETURNING * INTO t;
        END IF;
        -- A microsecond apart, so the branches list in the order they were enlisted.
        INSERT INTO trx_branch
               (id, transaction_id, service, instance, gid, status, created_at, updated_at, finished_by_caller)
        SELECT u.id, p_id, u.service, u.instance, u.gid, p_branch_status,
               p_now + u.n * interval '1 microsecond', p_now + u.n * interval '1 microsecond', u.by_caller
          FROM unnest(p_branch_ids, p_services, p_instances, p_gids, p_by_caller)
               WITH ORDINALITY AS u (id, service, instance, gid, by_caller, n);
        RETURN NEXT t;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP FUNCTION trx_commit_v3(uuid, timestamptz, timestamptz, boolean, timestamptz, integer, timestamptz, uuid[], text[], text[], text[], boolean[], jsonb, text, text[], text, text)',
    );
  }
}
