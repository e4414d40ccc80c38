import type { DataSource } from 'typeorm';
import type { Claim, IdempotencyStore, StoredAnswer } from '../domain/idempotent-request';

/** Idempotency-Keys in the order database: the primary key makes a key claimable once. */
export class IdempotencyRepository implements IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (key, fingerprint, state) VALUES ($1, $2, 'in-progress')
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, fingerprint],
    );
    if (inserted.length > 0) return { kind: 'claimed' };
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT fingerprint, state, response_status, response_body, updated_at
         FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    const row = rows[0];
    // Released between our insert and select: claim again.
    if (!row) return this.claim(key, fingerprint);
    if (row.state === 'done') {
      const answer = { status: row.response_status!, body: row.response_body };
      return { kind: 'answered', answer, fingerprint: row.fingerprint };
    }
    return { kind: 'in-progress', fingerprint: row.fingerprint, since: new Date(row.updated_at) };
  }

  /** Compares at millisecond precision: a JS Date can't hold Postgres' microseconds. */
  async takeOver(key: string, since: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE idempotency_keys SET updated_at = now()
        WHERE key = $1 AND state = 'in-progress'
          AND date_trunc('milliseconds', updated_at) = $2 RETURNING key`,
      [key, since],
    );
    return rowCount(rows) > 0;
  }

  async complete(key: string, answer: StoredAnswer): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys
          SET state = 'done', response_status = $2, response_body = $3, updated_at = now()
        WHERE key = $1`,
      [key, answer.status, JSON.stringify(answer.body)],
    );
  }

  async release(key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE key = $1 AND state = 'in-progress'`, [
      key,
    ]);
  }
}

interface KeyRow {
  fingerprint: string;
  state: string;
  response_status: number | null;
  response_body: unknown;
  updated_at: Date;
}

/** TypeORM's postgres driver answers UPDATE ... RETURNING as [rows, count]. */
function rowCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
