import type { OutboxStore } from '@trx/service-kit';
import type { Db, OutboxRecord } from './records';

/** An outbox row as the console shows it: what was (or is still to be) sent, and when. */
export interface OutboxEntry {
  id: string;
  routingKey: string;
  body: unknown;
  createdAt: Date;
  publishedAt: Date | null;
  attempts: number;
}

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
 * Claims the oldest unpublished rows nobody holds a lease on, until `leaseUntil`, in one
 * statement (rows another replica is claiming right now are skipped); returns them oldest
 * first. A claim needs no open transaction: a relay that dies holding one only delays its
 * rows until the lease runs out.
 */
export async function claimUnpublished(
  db: Db,
  limit: number,
  now: Date,
  leaseUntil: Date,
): Promise<OutboxRecord[]> {
  const { rows } = await db.query(
    `WITH claimed AS (
       UPDATE trx_outbox SET claimed_until = $3
        WHERE id IN (SELECT id FROM trx_outbox
                      WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $2)
                      ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, routing_key, body, attempts, created_at)
     SELECT * FROM claimed ORDER BY created_at`,
    [limit, now, leaseUntil],
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

/** A publish that failed: counted, and the lease given back so the next round takes the rows at once. */
export async function releaseClaim(db: Db, ids: string[]): Promise<void> {
  await db.query(
    'UPDATE trx_outbox SET attempts = attempts + 1, claimed_until = NULL WHERE id = ANY($1::uuid[])',
    [ids],
  );
}

/** trx_outbox as the shared relay's store: a claim with a lease, a mark, a release. */
export function outboxStore(db: Db): OutboxStore<OutboxRecord> {
  return {
    claim: (limit, now, leaseUntil) => claimUnpublished(db, limit, now, leaseUntil),
    markPublished: (ids, now) => markPublished(db, ids, now),
    release: (ids) => releaseClaim(db, ids),
  };
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

/**
 * The messages about one transaction still in the outbox (published ones are pruned after
 * a while), oldest first: those whose body carries the transaction id, and the decision
 * batches (protocol v2: a re-publish's, through the outbox) with an entry for it. No index
 * serves this — the outbox is a short queue, and only the console's detail view asks.
 */
export async function findOutboxOf(db: Db, transactionId: string): Promise<OutboxEntry[]> {
  const { rows } = await db.query(
    `SELECT id, routing_key, body, created_at, published_at, attempts FROM trx_outbox
      WHERE body->>'transactionId' = $1
         OR body->'decisions' @> jsonb_build_array(jsonb_build_object('transactionId', $1::text))
      ORDER BY created_at, id`,
    [transactionId],
  );
  return rows.map((r) => ({
    id: r.id as string,
    routingKey: r.routing_key as string,
    body: r.body,
    createdAt: r.created_at as Date,
    publishedAt: (r.published_at as Date | null) ?? null,
    attempts: Number(r.attempts),
  }));
}
