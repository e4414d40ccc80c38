import type { BranchStatus } from '@trx/protocol';
import { toBranch, type BranchRecord, type Db } from './records';

export async function findBranches(db: Db, transactionId: string): Promise<BranchRecord[]> {
  const { rows } = await db.query(
    'SELECT * FROM trx_branch WHERE transaction_id = $1 ORDER BY created_at, id',
    [transactionId],
  );
  return rows.map(toBranch);
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

/** The only write of a branch's status, conditional on the status the caller saw. */
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
