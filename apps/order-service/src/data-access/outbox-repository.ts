import type { DataSource } from 'typeorm';

export interface OutboxRow {
  id: string;
  routingKey: string;
  body: Record<string, unknown>;
  transactionId: string | null;
}

/**
 * The order-service outbox. Rows appear only when the order's branch commits (they are
 * written in it), so whatever is visible here is safe to publish.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` unpublished rows (SKIP LOCKED: replicas take disjoint batches),
   * hands them to `publish`, and marks them published in the same local transaction; if
   * `publish` throws, nothing is marked and the rows are claimed again later.
   */
  async publishBatch(limit: number, publish: (rows: OutboxRow[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: {
        id: string;
        routing_key: string;
        body: Record<string, unknown>;
        transaction_id: string | null;
      }[] = await manager.query(
        `SELECT id, routing_key, body, transaction_id FROM outbox
            WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await publish(
        rows.map((r) => ({
          id: r.id,
          routingKey: r.routing_key,
          body: r.body,
          transactionId: r.transaction_id,
        })),
      );
      // No fsync for the mark: if it is lost in a crash the rows are sent again, and
      // consumers deduplicate by message id.
      await manager.query('SET LOCAL synchronous_commit = off');
      await manager.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])', [
        rows.map((r) => r.id),
      ]);
      return rows.length;
    });
  }

  async countUnpublished(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0);
  }
}
