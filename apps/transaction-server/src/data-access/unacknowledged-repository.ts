import type { Db } from './records';

/** Decided transactions some branch has not acknowledged yet, as the coordinator's gauges show them. */
export interface UnacknowledgedSummary {
  /** Marked in-doubt (re-published the most times) and still unacknowledged. */
  inDoubt: number;
  /** now − in_doubt_since of the oldest of those; 0 when there is none. */
  inDoubtOldestAgeSeconds: number;
  /** now − decided_at of the oldest unacknowledged decision, in-doubt or not; 0 when there is none. */
  oldestAgeSeconds: number;
}

/**
 * One statement over the committing and rolling-back rows (the re-publisher's partial index):
 * they are the decisions waiting for acknowledgements, normally few and young. Ages are by
 * `now`, the coordinator's clock, which wrote decided_at and in_doubt_since.
 */
export async function summarizeUnacknowledged(db: Db, now: Date): Promise<UnacknowledgedSummary> {
  const { rows } = await db.query(
    `SELECT count(in_doubt_since)::int AS in_doubt,
            GREATEST(0, COALESCE(EXTRACT(EPOCH FROM $1::timestamptz - min(in_doubt_since)), 0))::float8 AS in_doubt_age,
            GREATEST(0, COALESCE(EXTRACT(EPOCH FROM $1::timestamptz - min(decided_at)), 0))::float8 AS oldest_age
       FROM trx_transaction
      WHERE status IN ('committing','rolling-back')`,
    [now],
  );
  const row = rows[0] as { in_doubt: number; in_doubt_age: number; oldest_age: number };
  return {
    inDoubt: row.in_doubt,
    inDoubtOldestAgeSeconds: row.in_doubt_age,
    oldestAgeSeconds: row.oldest_age,
  };
}
