/**
 * What the coordinator recorded, read from its database (trx_transaction, trx_branch,
 * trx_outbox in trx_chaos_coordinator): the truth the REST API serves, without paging.
 * And what each participant actually committed: its trx_branch table has a row per gid
 * whose COMMIT PREPARED went through (the row is written inside the branch).
 */
import { query, type RunDatabases } from './databases';

export interface BranchRecord {
  id: string;
  service: string;
  gid: string;
  status: string;
}

export interface TransactionRecord {
  id: string;
  status: string;
  /** 'commit' / 'rollback', null while undecided. */
  decision: string | null;
  /** Why it was decided so: 'presumed-abort' marks a tombstone (written by resolve). */
  reason: string | null;
  /** The service that initiated it; null for a tombstone (nobody began it). */
  initiator: string | null;
  timeoutMs: number;
  /** From begin to the decision, in ms; null while undecided. */
  decidedAfterMs: number | null;
  branches: BranchRecord[];
}

export async function readTransactions(dbs: RunDatabases): Promise<TransactionRecord[]> {
  const rows = await query<{
    id: string;
    status: string;
    decision: string | null;
    reason: string | null;
    initiator: string | null;
    timeout_ms: number;
    decided_after_ms: string | null;
    branches: BranchRecord[];
  }>(
    dbs.url('transaction-server'),
    `SELECT t.id::text, t.status, t.decision, t.reason, t.initiator, t.timeout_ms,
            round(extract(epoch FROM t.decided_at - t.created_at) * 1000)::bigint::text AS decided_after_ms,
            coalesce(json_agg(json_build_object('id', b.id, 'service', b.service, 'gid', b.gid, 'status', b.status))
                       FILTER (WHERE b.id IS NOT NULL), '[]') AS branches
       FROM trx_transaction t LEFT JOIN trx_branch b ON b.transaction_id = t.id
      GROUP BY t.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    decision: r.decision,
    reason: r.reason,
    initiator: r.initiator,
    timeoutMs: Number(r.timeout_ms),
    decidedAfterMs: r.decided_after_ms === null ? null : Number(r.decided_after_ms),
    branches: r.branches,
  }));
}

/**
 * What is still in flight, by kind: transactions not finished (by status), decisions not yet
 * announced (protocol v2: the trx_transaction row is its own outbox, `announced` false until
 * the broker confirmed the decision's lifecycle event and the initiator's events, e.g.
 * order.confirmed), messages waiting in the coordinator's trx_outbox (re-publish, immediate
 * finishes, tombstones), and the order-service's own outbox (used in baseline mode only, so
 * normally empty; still counted so a baseline-era row can't be left behind unnoticed).
 */
export async function countUnfinished(dbs: RunDatabases): Promise<Record<string, number>> {
  const counts: Record<string, number> = { active: 0, committing: 0, 'rolling-back': 0 };
  const rows = await query<{ status: string; n: string }>(
    dbs.url('transaction-server'),
    `SELECT status, count(*)::text AS n FROM trx_transaction
      WHERE status IN ('active', 'committing', 'rolling-back') GROUP BY status`,
  );
  for (const r of rows) counts[r.status] = Number(r.n);
  const [unannounced] = await query<{ n: string }>(
    dbs.url('transaction-server'),
    'SELECT count(*)::text AS n FROM trx_transaction WHERE decision IS NOT NULL AND NOT announced',
  );
  counts['decided-unannounced'] = Number(unannounced!.n);
  const [outbox] = await query<{ n: string }>(
    dbs.url('transaction-server'),
    'SELECT count(*)::text AS n FROM trx_outbox WHERE published_at IS NULL',
  );
  counts['outbox-unpublished'] = Number(outbox!.n);
  const [orderOutbox] = await query<{ n: string }>(
    dbs.url('order-service'),
    'SELECT count(*)::text AS n FROM outbox WHERE published_at IS NULL',
  );
  counts['order-outbox-unpublished'] = Number(orderOutbox!.n);
  return counts;
}

/** The gids each participant service committed, by service name. */
export async function readCommittedGids(dbs: RunDatabases): Promise<Map<string, Set<string>>> {
  const services = ['order-service', 'account-service', 'product-service'] as const;
  const result = new Map<string, Set<string>>();
  for (const service of services) {
    const rows = await query<{ gid: string }>(dbs.url(service), 'SELECT gid FROM trx_branch');
    result.set(service, new Set(rows.map((r) => r.gid)));
  }
  return result;
}
