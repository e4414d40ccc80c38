import { DataSource } from 'typeorm';
import type { Pool, PoolClient } from 'pg';
import { InitialSchema1732390000000 } from './migrations/1732390000000-initial-schema';

/** The coordinator's schema history, in order. */
export const migrations = [InitialSchema1732390000000];

export function createDataSource(url: string, poolSize: number): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    poolSize,
    migrations,
    migrationsTableName: 'trx_migrations',
    synchronize: false,
    logging: false,
  });
}

/**
 * The pg Pool under the DataSource. The hot paths are a handful of conditional updates;
 * running them on pg directly skips TypeORM's per-query overhead and keeps one pool.
 */
export function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/** Runs `work` in one local transaction; rolls back when it throws. */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: { synchronousCommit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // pg-pool listens for errors only on idle clients: without this, a connection that dies
  // while checked out (a Postgres restart) is an unhandled 'error' event and kills the
  // process. The query in flight rejects with the same error; the client is discarded.
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    // Acknowledgement writes can be lost in a crash without harm: the decision is re-published until acked.
    if (options.synchronousCommit === false) await client.query('SET LOCAL synchronous_commit = off');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A connection that can't even roll back is discarded instead of going back to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
