import * as pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { DataSource } from 'typeorm';
import { DeferredBeginClient } from './deferred-begin';

/** The pg Pool that each module made by `pgDriver()` built, keyed by that module. */
const pools = new WeakMap<object, Pool>();

/**
 * The pg module to give a postgres DataSource as its `driver` option (TypeORM's public way to
 * choose the pg library), with a Pool that this package keeps a hand on: TypeORM builds its
 * pool with it from its own settings, unchanged, and `poolOf` finds that pool again. One per
 * DataSource. `base`: a pg module of the caller's (another DataSource's `driver`) to build on.
 * Its connections send a transaction's BEGIN with the first statement (DeferredBeginClient).
 */
export function pgDriver(base: typeof pg = pg): typeof pg {
  const driver = { ...base };
  driver.Pool = class extends base.Pool {
    constructor(config?: PoolConfig) {
      super({ Client: DeferredBeginClient, ...config });
      // Built on another pgDriver() module, the base's constructor runs too: only the module
      // that was asked for this pool records it, and only once is a listener added.
      if (new.target !== driver.Pool) return;
      // A BEGIN held for a statement that never came was never sent: nothing to end.
      this.on('release', (_err, client) => {
        if (client instanceof DeferredBeginClient) client.dropHeldBegin();
      });
      pools.set(driver, this);
    }

    /**
     * pg-pool's query() hands the statement to its client with a callback, and pg runs a
     * statement given a callback unnamed: Postgres parsed, analysed and planned the
     * coordinator's commit and the publisher's mark on every call, whatever the session's
     * plan_cache_mode. A promise-style call goes through the client's own query() instead,
     * so a repeated statement runs under a name (StatementNames), as on a checked-out client;
     * and, as withPooledClient, a failed statement leaves its connection in the pool (pg-pool
     * closes it). Callback-style calls and submittables keep pg-pool's path.
     */
    // pg-pool's query() has overloads; this one entry point serves them all.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(config: any, values?: any, callback?: any): any {
      const promiseStyle =
        callback === undefined &&
        typeof values !== 'function' &&
        (typeof config === 'string' ||
          (typeof config === 'object' &&
            config !== null &&
            !('submit' in config) &&
            !('callback' in config)));
      if (!promiseStyle) return super.query(config, values, callback);
      return withPooledClient(this as Pool, (client) => client.query(config, values));
    }
  };
  return driver;
}

/**
 * The pg Pool under a postgres DataSource made with `{ driver: pgDriver() }` and initialized:
 * hot paths that are a statement or two skip TypeORM's per-query work and share its pool.
 *
 * @example
 *   const dataSource = await new DataSource({ type: 'postgres', url, driver: pgDriver() }).initialize();
 *   const pool = poolOf(dataSource);
 */
export function poolOf(dataSource: DataSource): Pool {
  const { options } = dataSource;
  const driver: unknown = 'driver' in options ? options.driver : undefined;
  const pool = typeof driver === 'object' && driver !== null ? pools.get(driver) : undefined;
  if (!pool) {
    throw new Error(
      `poolOf needs an initialized postgres DataSource made with { driver: pgDriver() } (got ${options.type})`,
    );
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
