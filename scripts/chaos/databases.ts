/**
 * The run's own databases and exchange: reset at the start so the starting sums are known,
 * and read at the end to check the invariants. Only `trx_chaos_*` databases and
 * `trx-events-chaos*` broker objects are ever touched.
 */
import { Client } from 'pg';
import { APPS, databaseOf, databaseUrl, type AppName } from './platform';
import type { ChaosOptions } from './options';
import { IDENTITIES } from '../local/credentials';

type Row = Record<string, unknown>;

/** Runs `sql` on one database with a short-lived connection (the run outlives Postgres restarts). */
export async function query<T extends Row = Row>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class RunDatabases {
  constructor(private readonly options: ChaosOptions) {}

  name(app: AppName): string {
    return databaseOf(this.options, app);
  }

  url(app: AppName): string {
    return databaseUrl(this.options.pgAdminUrl, this.name(app));
  }

  all(): string[] {
    return APPS.map((app) => this.name(app));
  }

  /** Drops and recreates every database of the run; a prepared transaction left by an earlier run is rolled back first. */
  async reset(): Promise<void> {
    for (const app of APPS) {
      const name = this.name(app);
      await this.rollbackPrepared(app).catch(() => undefined); // the database may not exist yet
      await query(this.options.pgAdminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      // Owned by the app's own role, which is all the app connects as (no superuser).
      await query(this.options.pgAdminUrl, `CREATE DATABASE "${name}" OWNER ${IDENTITIES[app].role}`);
      await query(this.options.pgAdminUrl, `REVOKE CONNECT ON DATABASE "${name}" FROM PUBLIC`);
    }
  }

  private async rollbackPrepared(app: AppName): Promise<void> {
    const rows = await query<{ gid: string }>(
      this.url(app),
      'SELECT gid FROM pg_prepared_xacts WHERE database = current_database()',
    );
    for (const { gid } of rows) await query(this.url(app), `ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`);
  }

  /** Prepared transactions left in the run's databases: `{database, gid, prepared}`. */
  async prepared(): Promise<{ database: string; gid: string; prepared: string }[]> {
    return query(
      this.options.pgAdminUrl,
      'SELECT database, gid, prepared::text AS prepared FROM pg_prepared_xacts WHERE database = ANY($1) ORDER BY prepared',
      [this.all()],
    );
  }

  async reachable(): Promise<boolean> {
    try {
      await query(this.options.pgAdminUrl, 'SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
