import type { Db, OutboxRecord } from './records';

export interface NewOutboxMessage {
  id: string;
  routingKey: string;
  body: unknown;
}

/** The rows as three parallel arrays, for `unnest($n::uuid[], $n+1::text[], $n+2::jsonb[])`. */
export function outboxColumns(messages: NewOutboxMessage[]): [string[], string[], string[]] {
  return [
    messages.map((m) => m.id),
    messages.map((m) => m.routingKey),
    messages.map((m) => JSON.stringify(m.body)),
  ];
}

export async function insertOutbox(db: Db, messages: NewOutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.query(
    `INSERT INTO trx_outbox (id, routing_key, body)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`,
    outboxColumns(messages),
  );
}

/**
 * The oldest unpublished rows, locked until the caller's transaction ends; rows another
 * replica is publishing are skipped.
 */
export async function claimUnpublished(db: Db, limit: number): Promise<OutboxRecord[]> {
  const { rows } = await db.query(
    `SELECT id, routing_key, body, attempts FROM trx_outbox
      WHERE published_at IS NULL
      ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    routingKey: r.routing_key as string,
    body: r.body,
    attempts: Number(r.attempts),
  }));
}

export async function markPublished(db: Db, ids: string[], now: Date): Promise<void> {
  await db.query(
    'UPDATE trx_outbox SET published_at = $2, attempts = attempts + 1 WHERE id = ANY($1::uuid[])',
    [ids, now],
  );
}

export async function markAttempted(db: Db, ids: string[]): Promise<void> {
  await db.query('UPDATE trx_outbox SET attempts = attempts + 1 WHERE id = ANY($1::uuid[])', [ids]);
}

export async function countUnpublished(db: Db): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM trx_outbox WHERE published_at IS NULL');
  return Number(rows[0]?.n ?? 0);
}

/** Deletes up to `limit` rows published before `before`; the outbox is a queue, not a history. */
export async function prunePublished(db: Db, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM trx_outbox WHERE id IN (
       SELECT id FROM trx_outbox WHERE published_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [before, limit],
  );
  return rowCount ?? 0;
}
