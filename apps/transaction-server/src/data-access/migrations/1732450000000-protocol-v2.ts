import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Protocol v2 (docs/architecture.md, "Protocol v2"): no begin round trip, and the
 * transaction row is its own outbox.
 *
 * - `announced`: whether the decision's lifecycle event and the initiator's events have been
 *   published. Rows written before this migration were announced through trx_outbox, so the
 *   column's default is true (a catalog default: no table rewrite); every decision written
 *   from now on sets it false and the publisher sets it true once the broker confirmed.
 * - `events`: what the initiator handed over with its commit (e.g. `order.confirmed`), kept
 *   so a re-publish after a crash still sends it.
 * - `trx_commit_v2`: the usual commit in one statement. A transaction the coordinator has not
 *   seen is created by it, already committing, with its enlisted branches; one that was begun
 *   (or registered) takes the checks of `trx_commit_enlisted`. Nothing is written when neither
 *   applies, and the caller decides the general way.
 * - fillfactor 85 / 80: room on each page, so the publisher's mark of a transaction and the
 *   acknowledgement of a branch can stay on their page (HOT) instead of writing every index again.
 */
export class ProtocolV21732450000000 implements MigrationInterface {
  name = 'ProtocolV21732450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trx_transaction
      ADD COLUMN announced boolean NOT NULL DEFAULT true,
      ADD COLUMN events jsonb`);
    await q.query('ALTER TABLE trx_transaction SET (fillfactor = 85)');
    // A branch's acknowledgement changes only its status and time, no indexed column: with room on its page it stays there (HOT).
    await q.query('ALTER TABLE trx_branch SET (fillfactor = 80)');
    await q.query(`
      CREATE FUNCTION trx_commit_v2(
        p_id uuid, p_now timestamptz, p_republish_at timestamptz, p_create boolean,
        p_created_at timestamptz, p_timeout_ms integer, p_deadline timestamptz,
        p_branch_ids uuid[], p_services text[], p_instances text[], p_gids text[], p_by_caller boolean[],
        p_events jsonb, p_initiator text)
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
        VALUES (p_id, 'committing', 'commit', p_initiator, false, p_timeout_ms, p_deadline, p_created_at, p_now,
                p_now, p_republish_at, false, p_events)
        ON CONFLICT (id) DO NOTHING
        RETURNING * INTO t;
        created := FOUND;
        END IF;
        IF NOT created THEN
          SELECT * INTO t FROM trx_transaction WHERE id = p_id FOR UPDATE;
          -- Two EXISTS, not one with OR: each is an index probe (an OR of the two is a scan of the table).
          IF NOT FOUND OR t.status <> 'active' OR t.compat OR t.deadline <= p_now
             OR t.initiator IS DISTINCT FROM p_initiator
             OR EXISTS (SELECT 1 FROM trx_branch WHERE transaction_id = p_id)
             OR EXISTS (SELECT 1 FROM trx_branch WHERE gid = ANY (p_gids)) THEN
            RETURN;
          END IF;
          UPDATE trx_transaction
             SET status = 'committing', decision = 'commit', reason = NULL, decided_at = p_now,
                 next_republish_at = p_republish_at, updated_at = p_now, announced = false, events = p_events
           WHERE id = p_id
          RETURNING * INTO t;
        END IF;
        -- A microsecond apart, so the branches list in the order they were enlisted.
        INSERT INTO trx_branch
               (id, transaction_id, service, instance, gid, status, created_at, updated_at, finished_by_caller)
        SELECT u.id, p_id, u.service, u.instance, u.gid, 'prepared',
               p_now + u.n * interval '1 microsecond', p_now + u.n * interval '1 microsecond', u.by_caller
          FROM unnest(p_branch_ids, p_services, p_instances, p_gids, p_by_caller)
               WITH ORDINALITY AS u (id, service, instance, gid, by_caller, n);
        RETURN NEXT t;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP FUNCTION trx_commit_v2(uuid, timestamptz, timestamptz, boolean, timestamptz, integer, timestamptz, uuid[], text[], text[], text[], boolean[], jsonb, text)',
    );
    await q.query('ALTER TABLE trx_branch RESET (fillfactor)');
    await q.query('ALTER TABLE trx_transaction RESET (fillfactor)');
    await q.query('ALTER TABLE trx_transaction DROP COLUMN events, DROP COLUMN announced');
  }
}
