import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The pg Pool under a postgres DataSource (typeorm's PostgresDriver keeps it as `master`):
 * hot paths that are a statement or two skip TypeORM's per-query work and share its pool.
 */
export function poolOf(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (typeof pool?.connect !== 'function') {
    throw new Error(`a pg Pool needs a postgres DataSource, not ${dataSource.options.type}`);
  }
  return pool;
}

/**
 * Checks a connection out for `use` and puts it back, or discards it when it broke.
 * pg-pool listens for errors only on idle clients: without the listener here, a connection
 * that dies while checked out (a Postgres restart) is an unhandled 'error' event and ends the
 * process; the statement in flight rejects with the same error. `use` may call `discard` for
 * a connection left in a state it can't vouch for. A failed statement alone (an SQL error)
 * leaves the connection in the pool — pool.query() would close it.
 */
export async function withPooledClient<T>(
  pool: Pool,
  use: (client: PoolClient, discard: (reason: Error) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const discard = (reason: Error) => (broken = reason);
  client.on('error', discard);
  try {
    return await use(client, discard);
  } finally {
    client.off('error', discard);
    client.release(broken);
  }
}
