import { Client } from 'pg';

/**
 * What Postgres did during a step, from its cumulative statistics: WAL records, bytes,
 * writes and fsyncs (pg_stat_wal, cluster-wide) and commits per database. Divided by the
 * orders committed, it says how many fsyncs and commits an order costs in each mode.
 */
export interface PgSample {
  wal: { records: number; bytes: number; writes: number; syncs: number };
  commits: Record<string, number>;
  rollbacks: Record<string, number>;
}

/** The participants' databases (where branches are prepared) and every database the bench watches. */
export function databasesOf(prefix: string): { participants: string[]; watched: string[] } {
  const participants = ['order', 'account', 'product'].map((s) => `${prefix}_${s}`);
  return { participants, watched: [`${prefix}_coordinator`, ...participants, `${prefix}_bench`] };
}

export class PgProbe {
  private constructor(
    private readonly db: Client,
    private readonly databases: { participants: string[]; watched: string[] },
  ) {}

  static async connect(pgUrl: string, dbPrefix: string): Promise<PgProbe> {
    const db = new Client({ connectionString: `${pgUrl}/postgres`, application_name: 'trx-bench-probe' });
    // A Postgres restart resets the connection: the next query fails the step, no crash.
    db.on('error', () => undefined);
    await db.connect();
    return new PgProbe(db, databasesOf(dbPrefix));
  }

  async sample(): Promise<PgSample> {
    // Statistics are cached per transaction; ask for fresh numbers.
    await this.db.query('SELECT pg_stat_clear_snapshot()');
    // WAL bytes from the insert position (exact, immediate); the counts from pg_stat_wal.
    const wal = await this.db.query<{ r: string; b: string; w: string; s: string }>(
      `SELECT wal_records AS r, pg_current_wal_lsn() - '0/0'::pg_lsn AS b, wal_write AS w, wal_sync AS s
         FROM pg_stat_wal`,
    );
    const dbs = await this.db.query<{ datname: string; c: string; r: string }>(
      'SELECT datname, xact_commit AS c, xact_rollback AS r FROM pg_stat_database WHERE datname = ANY($1)',
      [this.databases.watched],
    );
    const w = wal.rows[0]!;
    const commits: Record<string, number> = {};
    const rollbacks: Record<string, number> = {};
    for (const row of dbs.rows) {
      commits[row.datname] = Number(row.c);
      rollbacks[row.datname] = Number(row.r);
    }
    return {
      wal: { records: Number(w.r), bytes: Number(w.b), writes: Number(w.w), syncs: Number(w.s) },
      commits,
      rollbacks,
    };
  }

  /** Prepared transactions of the services right now (other databases, e.g. tests', are not counted). */
  async preparedCount(): Promise<number> {
    const r = await this.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_prepared_xacts WHERE gid LIKE 'trx:%' AND database = ANY($1)",
      [this.databases.participants],
    );
    return Number(r.rows[0]!.n);
  }

  /** A checkpoint before each step, so that no step pays for one that an earlier step caused. */
  async checkpoint(): Promise<void> {
    await this.db.query('CHECKPOINT');
  }

  async serverVersion(): Promise<string> {
    const r = await this.db.query<{ v: string }>('SELECT version() AS v');
    return r.rows[0]!.v;
  }

  async settings(names: string[]): Promise<Record<string, string>> {
    const r = await this.db.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
      [names],
    );
    return Object.fromEntries(
      r.rows.map((row) => [row.name, row.setting + (row.unit ? ` ${row.unit}` : '')]),
    );
  }

  async close(): Promise<void> {
    await this.db.end();
  }
}

export function pgBetween(a: PgSample, b: PgSample) {
  const diff = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(Object.keys(y).map((k) => [k, (y[k] ?? 0) - (x[k] ?? 0)]));
  return {
    walRecords: b.wal.records - a.wal.records,
    walBytes: b.wal.bytes - a.wal.bytes,
    walWrites: b.wal.writes - a.wal.writes,
    walSyncs: b.wal.syncs - a.wal.syncs,
    commits: diff(a.commits, b.commits),
    rollbacks: diff(a.rollbacks, b.rollbacks),
  };
}
