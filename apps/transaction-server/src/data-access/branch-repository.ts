import type { BranchStatus, Outcome } from '@trx/protocol';
import { toBranch, type BranchRecord, type Db } from './records';

export interface NewBranch {
  id: string;
  service: string;
  instance: string;
  gid: string;
  finishedByCaller: boolean;
}

export async function findBranches(db: Db, transactionId: string): Promise<BranchRecord[]> {
  const { rows } = await db.query(
    'SELECT * FROM trx_branch WHERE transaction_id = $1 ORDER BY created_at, id',
    [transactionId],
  );
  return rows.map(toBranch);
}

export async function countBranches(db: Db, transactionId: string): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM trx_branch WHERE transaction_id = $1', [
    transactionId,
  ]);
  return Number(rows[0]?.n ?? 0);
}

export async function findBranchesOf(db: Db, transactionIds: string[]): Promise<BranchRecord[]> {
  if (transactionIds.length === 0) return [];
  const { rows } = await db.query(
    'SELECT * FROM trx_branch WHERE transaction_id = ANY($1::uuid[]) ORDER BY created_at, id',
    [transactionIds],
  );
  return rows.map(toBranch);
}

export async function findBranch(
  db: Db,
  transactionId: string,
  branchId: string,
): Promise<BranchRecord | undefined> {
  const { rows } = await db.query('SELECT * FROM trx_branch WHERE id = $1 AND transaction_id = $2', [
    branchId,
    transactionId,
  ]);
  return rows[0] ? toBranch(rows[0]) : undefined;
}

export async function findBranchByGid(db: Db, gid: string): Promise<BranchRecord | undefined> {
  const { rows } = await db.query('SELECT * FROM trx_branch WHERE gid = $1', [gid]);
  return rows[0] ? toBranch(rows[0]) : undefined;
}

/** Inserts the branch unless its gid exists; returns undefined when it did. */
export async function insertBranch(db: Db, b: BranchRecord): Promise<BranchRecord | undefined> {
  const { rows } = await db.query(
    `INSERT INTO trx_branch (id, transaction_id, service, instance, gid, status, reason, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
     ON CONFLICT (gid) DO NOTHING
     RETURNING *`,
    [b.id, b.transactionId, b.service, b.instance, b.gid, b.status, b.reason, b.createdAt],
  );
  return rows[0] ? toBranch(rows[0]) : undefined;
}

/**
 * One branch's status change, checked by the caller against the transition table
 * (domain/state-machine.ts transitionBranch) and conditional on the status it saw. The other
 * writes of a branch status take theirs from the same tables: the inserts (insertBranch,
 * insertBranchIfActive, enlistBranches, commitInOneStatement: the entry table) and
 * updateBranchOutcomes (the statuses that may move to each outcome).
 */
export async function updateBranchStatus(
  db: Db,
  branchId: string,
  expected: BranchStatus,
  next: BranchStatus,
  now: Date,
  reason?: string | null,
): Promise<BranchRecord | undefined> {
  const { rows } = await db.query(
    `UPDATE trx_branch SET status = $3, updated_at = $4, reason = COALESCE($5, reason)
      WHERE id = $1 AND status = $2 RETURNING *`,
    [branchId, expected, next, now, reason ?? null],
  );
  return rows[0] ? toBranch(rows[0]) : undefined;
}

/**
 * Inserts enlisted branches (with `status`: prepared, the entry table's) whose gid is new and returns every branch of the
 * transaction, in one statement. A data-modifying CTE's rows are invisible to a scan of the
 * same table in the same statement, so the inserted rows come from RETURNING and the rest
 * from the scan. A gid that is neither returned nor already this transaction's belongs to
 * another transaction.
 */
export async function enlistBranches(
  db: Db,
  transactionId: string,
  branches: NewBranch[],
  status: BranchStatus,
  now: Date,
): Promise<BranchRecord[]> {
  const { rows } = await db.query(
    `WITH ins AS (
       INSERT INTO trx_branch
              (id, transaction_id, service, instance, gid, status, created_at, updated_at, finished_by_caller)
       SELECT i.id, $1, i.service, i.instance, i.gid, $8, i.at, i.at, i.finished_by_caller
         FROM (SELECT u.*, $2::timestamptz + u.n * interval '1 microsecond' AS at
                 -- a microsecond apart, so the branches list in the order they were enlisted
                 FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::boolean[])
                      WITH ORDINALITY AS u (id, service, instance, gid, finished_by_caller, n)) i
       ON CONFLICT (gid) DO NOTHING
       RETURNING *)
     SELECT * FROM ins
     UNION ALL
     SELECT * FROM trx_branch WHERE transaction_id = $1
     ORDER BY created_at, id`,
    [
      transactionId,
      now,
      branches.map((b) => b.id),
      branches.map((b) => b.service),
      branches.map((b) => b.instance),
      branches.map((b) => b.gid),
      branches.map((b) => b.finishedByCaller),
      status,
    ],
  );
  return rows.map(toBranch);
}

export interface OutcomeRow {
  transactionId: string;
  gid: string;
  outcome: Outcome;
}

/**
 * Sets each branch to its acknowledged outcome where the transaction's decision matches
 * and the branch's status may move there (`from`), and returns every branch of
 * `transactionIds` as it is now: the updated rows from RETURNING, the others from the scan.
 *
 * The others are looked up one transaction at a time (a LATERAL subquery that OFFSET 0 keeps
 * from being flattened into a join), so each is a probe of trx_branch_transaction. Written as
 * `transaction_id = ANY($7)`, a table Postgres has no statistics of yet (never analyzed: a young
 * database, or autovacuum off) was read whole for every batch, since each of a hundred ids
 * is then assumed to match 0.5 % of the rows: 55 ms a batch at 200 000 branches, growing
 * with the table. test/hot-statement-plans.int.test.ts holds every hot statement to index probes.
 */
export async function updateBranchOutcomes(
  db: Db,
  outcomes: OutcomeRow[],
  transactionIds: string[],
  from: Record<Outcome, readonly BranchStatus[]>,
  now: Date,
): Promise<BranchRecord[]> {
  const { rows } = await db.query(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS i (transaction_id, gid, outcome)),
     upd AS (
       UPDATE trx_branch b SET status = i.outcome, updated_at = $4
         FROM input i JOIN trx_transaction t ON t.id = i.transaction_id
        WHERE b.gid = i.gid AND b.transaction_id = i.transaction_id
          AND ((i.outcome = 'committed' AND t.decision = 'commit' AND b.status = ANY($5::text[]))
            OR (i.outcome = 'rolled-back' AND t.decision = 'rollback' AND b.status = ANY($6::text[])))
       RETURNING b.*)
     SELECT * FROM upd
     UNION ALL
     SELECT b.* FROM unnest($7::uuid[]) AS q (id),
            LATERAL (SELECT * FROM trx_branch WHERE transaction_id = q.id OFFSET 0) b
      WHERE b.id NOT IN (SELECT id FROM upd)`,
    [
      outcomes.map((o) => o.transactionId),
      outcomes.map((o) => o.gid),
      outcomes.map((o) => o.outcome),
      now,
      from.committed,
      from['rolled-back'],
      transactionIds,
    ],
  );
  return rows.map(toBranch);
}

/**
 * The common registration as one autocommit statement: inserts the branch only if its
 * transaction is active, within its deadline and has fewer than `maxBranches` branches,
 * holding FOR SHARE on the transaction row for the statement (a commit holds FOR UPDATE, so
 * no branch slips in after a decision). Registrations racing each other may each see room
 * for one more: the cap is soft by their number. Undefined when nothing was inserted: the
 * caller takes the slow path to find out why.
 */
export async function insertBranchIfActive(
  db: Db,
  b: BranchRecord,
  now: Date,
  maxBranches: number,
): Promise<BranchRecord | undefined> {
  const { rows } = await db.query(
    `WITH t AS (
       SELECT id FROM trx_transaction WHERE id = $2 AND status = 'active' AND deadline > $9
          AND (SELECT count(*) FROM trx_branch WHERE transaction_id = $2) < $10
          FOR SHARE)
     INSERT INTO trx_branch (id, transaction_id, service, instance, gid, status, reason, created_at, updated_at)
     SELECT $1, t.id, $3, $4, $5, $6, $7, $8, $8 FROM t
     ON CONFLICT (gid) DO NOTHING
     RETURNING *`,
    [b.id, b.transactionId, b.service, b.instance, b.gid, b.status, b.reason, b.createdAt, now, maxBranches],
  );
  return rows[0] ? toBranch(rows[0]) : undefined;
}
