import type { DataSource } from 'typeorm';
import type { OutboxStore } from '@trx/service-kit';

export interface OutboxRow {
  id: string;
  routingKey: string;
  body: Record<string, unknown>;
  transactionId: string | null;
}

interface ClaimedRow {
  id: string;
  routing_key: string;
  body: Record<string, unknown>;
  transaction_id: string | null;
}

/**
 * The order-service outbox, as the shared relay's store. Rows appear only when the order's
 * branch commits (they are written in it), so whatever is visible here is safe to publish.
 * A claim is a lease (claimed_until), not a lock held across the publish.
 */
export class OutboxRepository implements OutboxStore<OutboxRow> {
  constructor(private readonly dataSource: DataSource) {}

  /** One statement; SKIP LOCKED: replicas claiming at the same moment take disjoint batches. */
  async claim(limit: number, now: Date, leaseUntil: Date): Promise<OutboxRow[]> {
    // The statement's last part is a SELECT, so TypeORM answers with the rows themselves.
    const rows: ClaimedRow[] = await this.dataSource.query(
      `WITH claimed AS (
           UPDATE outbox SET claimed_until = $3
            WHERE id IN (SELECT id FROM outbox
                          WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $2)
                          ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id, routing_key, body, transaction_id, created_at)
         SELECT id, routing_key, body, transaction_id FROM claimed ORDER BY created_at`,
      [limit, now, leaseUntil],
    );
    return rows.map((r) => ({
      id: r.id,
      routingKey: r.routing_key,
      body: r.body,
      transactionId: r.transaction_id,
    }));
  }

  async markPublished(ids: string[], now: Date): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // No fsync for the mark: if it is lost in a crash the rows are sent again, and
      // consumers deduplicate by message id.
      await manager.query('SET LOCAL synchronous_commit = off');
      await manager.query('UPDATE outbox SET published_at = $2 WHERE id = ANY($1::uuid[])', [ids, now]);
    });
  }

  async release(ids: string[]): Promise<void> {
    await this.dataSource.query('UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1::uuid[])', [ids]);
  }

  async countUnpublished(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0);
  }
}
