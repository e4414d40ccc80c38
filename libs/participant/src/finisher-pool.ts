import { DataSource, type DataSourceOptions } from 'typeorm';
import type * as pg from 'pg';
import type { Pool } from 'pg';
import { pgDriver, poolOf, withPooledClient } from '@trx/db';
import type { Queryable } from './branch-sql';

/** The runtime's own connections for COMMIT/ROLLBACK PREPARED and the look-ups around them. */
export interface FinisherPool extends Queryable {
  /** The rows of one statement, run on a connection of this pool. */
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
  destroy(): Promise<void>;
}

/**
 * A small pool of its own for COMMIT/ROLLBACK PREPARED. Requests that wait for a row lock
 * held by a prepared branch can fill the service's pool; if decisions queued behind them,
 * the commit that releases the lock could never run.
 *
 * The pool is made by TypeORM from the service's DataSource options (same connection
 * settings), but statements go to its pg Pool directly: a decision is one statement, and a
 * QueryRunner per statement was most of its cost.
 */
export async function openFinisher(dataSource: DataSource, poolSize: number): Promise<FinisherPool> {
  // On the service's own pg module, if it chose one (its `driver` option).
  const base: typeof pg | undefined = 'driver' in dataSource.options ? dataSource.options.driver : undefined;
  const options = {
    ...dataSource.options,
    driver: pgDriver(base),
    poolSize,
    entities: [],
    migrations: [],
    subscribers: [],
    synchronize: false,
    migrationsRun: false,
  } as DataSourceOptions;
  const own = await new DataSource(options).initialize();
  const pool = poolOf(own);
  return {
    query: (sql, params) => queryOn(pool, sql, params),
    destroy: () => own.destroy(),
  };
}

/**
 * One statement on a pooled connection. Not pool.query(): it hands the connection back with
 * the error of a failed statement, which closes it — and "already finished" (42704) is an
 * ordinary answer here. Only a connection that broke is discarded.
 */
function queryOn(pool: Pool, sql: string, params?: unknown[]): Promise<unknown[]> {
  return withPooledClient(pool, async (client) => (await client.query(sql, params)).rows as unknown[]);
}
