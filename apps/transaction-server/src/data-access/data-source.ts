import { DataSource } from 'typeorm';
import { Pool, type PoolClient } from 'pg';
import { pgDriver, withPooledClient } from '@trx/db';
import { InitialSchema1732390000000 } from './migrations/1732390000000-initial-schema';
import { BranchFinishedByCaller1732400000000 } from './migrations/1732400000000-branch-finished-by-caller';
import { CommitEnlistedFunction1732410000000 } from './migrations/1732410000000-commit-enlisted-function';
import { OutboxClaimLease1732420000000 } from './migrations/1732420000000-outbox-claim-lease';
import { CommitEnlistedInitiator1732430000000 } from './migrations/1732430000000-commit-enlisted-initiator';
import { InDoubt1732440000000 } from './migrations/1732440000000-in-doubt';
import { ProtocolV21732450000000 } from './migrations/1732450000000-protocol-v2';
import { CommitStatusesFromTable1732460000000 } from './migrations/1732460000000-commit-statuses-from-table';

/** The coordinator's schema history, in order. */
export const migrations = [
  InitialSchema1732390000000,
  BranchFinishedByCaller1732400000000,
  CommitEnlistedFunction1732410000000,
  OutboxClaimLease1732420000000,
  CommitEnlistedInitiator1732430000000,
  InDoubt1732440000000,
  ProtocolV21732450000000,
  CommitStatusesFromTable1732460000000,
];

/**
 * `connectionTimeoutMs` bounds the wait for a connection, a new one or a free one of a busy
 * pool. `pgDriver()`: the hot paths use the DataSource's own pg Pool (`poolOf`).
 */
export function createDataSource(url: string, poolSize: number, connectionTimeoutMs: number): DataSource {
  return new DataSource({
    type: 'postgres',
    driver: pgDriver(),
    url,
    poolSize,
    extra: { connectionTimeoutMillis: connectionTimeoutMs },
    migrations,
    migrationsTableName: 'trx_migrations',
    synchronize: false,
    logging: false,
  });
}

/**
 * A second, small pool whose sessions commit asynchronously (`synchronous_commit=off`):
 * COMMIT answers before its WAL reaches the disk, so it costs no fsync wait. Only for
 * writes whose loss in a crash is harmless:
 * - begin: a lost transaction makes the later register or commit answer 404, so the
 *   initiator rolls back; and the WAL is flushed in order, so any later synchronous commit
 *   (a registration, the decision) makes the begin durable before it is relied on;
 * - acknowledgements: an unacknowledged decision is re-published and acknowledged again;
 * - the relay's "published" mark: a lost mark only re-sends; consumers deduplicate by message_id.
 * Votes and decisions stay on the synchronous pool.
 *
 * Its sessions also plan each statement once (`plan_cache_mode=force_generic_plan`): the
 * mark's and the acknowledgements' statements take arrays of ids, whose length changes from
 * call to call, so the plan cache may keep custom plans for them — each a planning over seven
 * indexes of trx_transaction and three of trx_branch, with a size lookup of each where the
 * tables have no statistics. Their generic plans are index probes
 * (test/hot-statement-plans.int.test.ts). A plan is kept only for a named statement: the
 * Pool's query() names a repeated one (pgDriver, @trx/db); before it did, the mark was
 * parsed and planned on every call whatever this setting said.
 */
export function createAsyncPool(
  url: string,
  max: number,
  connectionTimeoutMs: number,
  onError: (err: Error) => void,
): Pool {
  // pgDriver's Pool: a transaction's BEGIN goes out with its first statement.
  const pool = new (pgDriver().Pool)({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    options: '-c synchronous_commit=off -c plan_cache_mode=force_generic_plan',
  });
  // An idle connection that dies (a Postgres restart) emits 'error' on the pool; unhandled it would end the process.
  pool.on('error', onError);
  return pool;
}

/** Runs `work` in one local transaction; rolls back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return withPooledClient(pool, async (client, discard) => {
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that can't even roll back is discarded instead of going back to the pool.
      await client.query('ROLLBACK').catch(discard);
      throw err;
    }
  });
}
