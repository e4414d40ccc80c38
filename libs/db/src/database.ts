import { Client } from 'pg';
import { DatabaseMissingError, PreparedTransactionsDisabledError } from './errors';
import { PgCodes, pgCode } from './pg-errors';

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** The one-off admin connections here (start, tests) wait at most this for the server. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The database name of a `postgres://` URL. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`no database name in ${redactUrl(url)}`);
  return name;
}

/** The same server with another database (used to reach `postgres` for CREATE DATABASE). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** Creates the database of `url` when it does not exist yet; returns true when it created it. */
export async function ensureDatabase(url: string, maintenanceDatabase = 'postgres'): Promise<boolean> {
  const name = databaseName(url);
  const probe = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if (pgCode(err) !== PgCodes.invalidDatabase) throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new Client({
    connectionString: withDatabase(url, maintenanceDatabase),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } catch (err) {
    // Created concurrently by a replica: 42P04 when its CREATE committed first, 23505 (on
    // pg_database's unique index) when both were inserting the catalog row at the same time.
    const code = pgCode(err);
    if (code === PgCodes.duplicateDatabase || code === PgCodes.uniqueViolation) return false;
    if (code === PgCodes.insufficientPrivilege) throw new DatabaseMissingError(name);
    throw err;
  } finally {
    await admin.end();
  }
}

/** Drops a database, rolling back its prepared transactions and ending its sessions first. */
export async function dropDatabase(url: string, maintenanceDatabase = 'postgres'): Promise<void> {
  const name = databaseName(url);
  await rollbackAllPrepared(url).catch((err) => {
    if (pgCode(err) !== PgCodes.invalidDatabase) throw err;
  });
  const admin = new Client({
    connectionString: withDatabase(url, maintenanceDatabase),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Throws PreparedTransactionsDisabledError when the server has max_prepared_transactions = 0. */
export async function assertCanPrepare(db: Queryable, database: string): Promise<number> {
  const { rows } = await db.query('SHOW max_prepared_transactions');
  const max = Number(rows[0]?.max_prepared_transactions ?? 0);
  if (!(max > 0)) throw new PreparedTransactionsDisabledError(database, max);
  return max;
}

/** The gids prepared in the database of `url` (COMMIT/ROLLBACK PREPARED only work from there). */
export async function listPrepared(db: Queryable, prefix = ''): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE $1 || '%' ORDER BY prepared`,
    [prefix],
  );
  return rows.map((r) => String(r.gid));
}

async function rollbackAllPrepared(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    for (const gid of await listPrepared(client)) {
      await client.query(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs the TypeORM migrations of `dataSource` under a Postgres advisory lock, so replicas
 * that start together migrate one at a time instead of racing. The wait for the lock is
 * unbounded on purpose: the pool's sessions may carry a short lock_timeout, and a replica
 * must wait for another's migration however long it takes, not fail its start.
 */
export async function runMigrationsLocked(dataSource: import('typeorm').DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET lock_timeout = 0');
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', ['trx-migrations']);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', ['trx-migrations']);
    }
  } finally {
    await runner.query('RESET lock_timeout').catch(() => undefined);
    await runner.release();
  }
}
