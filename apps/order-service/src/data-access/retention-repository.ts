import type { DataSource } from 'typeorm';

/**
 * Deletes of the retention job, each one statement of at most `limit` rows that skips rows
 * another session holds, so an order in flight never waits for it.
 */
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Outbox rows published before `before`: the broker has them, nobody reads them here again. */
  deletePublishedOutbox(before: Date, limit: number): Promise<number> {
    return this.deleteWhere('outbox', 'id', 'published_at < $1', before, limit);
  }

  /** Idempotency-Keys last touched before `before`: a retry that late is a new order. */
  deleteExpiredKeys(before: Date, limit: number): Promise<number> {
    return this.deleteWhere('idempotency_keys', 'key', 'updated_at < $1', before, limit);
  }

  private async deleteWhere(
    table: string,
    id: string,
    condition: string,
    before: Date,
    limit: number,
  ): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `DELETE FROM ${table} WHERE ${id} IN (
         SELECT ${id} FROM ${table} WHERE ${condition} LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1`,
      [before, limit],
    );
    return deletedCount(rows);
  }
}

/** TypeORM's postgres driver answers DELETE ... RETURNING as [rows, count]. */
function deletedCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
