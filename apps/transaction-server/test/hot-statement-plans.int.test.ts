import { Pool, type PoolClient } from 'pg';
import { runMigrationsLocked } from '@trx/db';
import { uuidv7 } from '@trx/protocol';
import { createTestDatabase, dropTestDatabase } from '@trx/test-support';
import {
  createDataSource,
  finishTransactions,
  lockTransactions,
  markAnnounced,
  updateBranchOutcomes,
  type Db,
} from '../src/data-access';

/**
 * The statements the coordinator runs for every batch of acknowledgements and every
 * publishing round stay index probes however large the tables grow, and whether or not
 * Postgres has statistics of them: these tables are never analyzed where autovacuum is off,
 * and a young database has none either. Without statistics each id of an `= ANY($n)` over a
 * non-unique column is taken to match 0.5 % of the rows, which made a sequential scan of
 * trx_branch the cheapest plan for a batch of a hundred (55 ms at 200 000 branches).
 *
 * Each statement is planned both ways the plan cache may run it — with its parameters' values
 * (the first executions) and generic (a named statement after five) — on tables of 30 000
 * transactions and 90 000 branches, and no plan may read trx_branch or trx_transaction whole.
 */
let dbUrl: string;
let pool: Pool;
let ids: string[];
let gids: string[];

const TRANSACTIONS = 30_000;
const BATCH = 100;

beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_hot_plans_test');
  const dataSource = createDataSource(dbUrl, 2, 5000);
  await dataSource.initialize();
  await runMigrationsLocked(dataSource);
  await dataSource.destroy();
  pool = new Pool({ connectionString: dbUrl, max: 1 });
  // Decided, published transactions with three acknowledged branches each, as after a busy hour.
  await pool.query(
    `INSERT INTO trx_transaction (id, status, decision, initiator, timeout_ms, deadline, created_at, updated_at, announced)
     SELECT gen_random_uuid(), 'committed', 'commit', 'order-service', 30000, now(), now(), now(), true
       FROM generate_series(1, $1)`,
    [TRANSACTIONS],
  );
  await pool.query(
    `INSERT INTO trx_branch (id, transaction_id, service, instance, gid, status, created_at, updated_at)
     SELECT gen_random_uuid(), t.id, s.name, 'i', 'trx:' || s.name || ':' || t.id, 'committed', now(), now()
       FROM trx_transaction t, unnest(ARRAY['order-service', 'product-service', 'account-service']) AS s (name)`,
  );
  const { rows } = await pool.query<{ transaction_id: string; gid: string }>(
    `SELECT transaction_id, gid FROM trx_branch WHERE service = 'product-service' LIMIT $1`,
    [BATCH],
  );
  ids = rows.map((r) => r.transaction_id);
  gids = rows.map((r) => r.gid);
}, 120_000);

afterAll(async () => {
  await pool.end();
  await dropTestDatabase(dbUrl);
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** The tables a plan reads whole. */
function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** A parameter as an SQL literal (arrays in Postgres' array syntax). */
function literal(client: PoolClient, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value))
    return client.escapeLiteral(
      `{${value.map((v) => (v === null ? 'NULL' : JSON.stringify(String(v)))).join(',')}}`,
    );
  return client.escapeLiteral(value instanceof Date ? value.toISOString() : String(value));
}

/** A Db that plans each statement it is given, both ways, instead of running it; records the tables read whole. */
function planningDb(client: PoolClient, found: Map<string, string[]>, label: string): Db {
  return {
    async query(sql, params = []) {
      await client.query(`PREPARE hot AS ${sql}`);
      try {
        for (const mode of ['force_custom_plan', 'force_generic_plan']) {
          await client.query(`SET plan_cache_mode = ${mode}`);
          // EXECUTE takes no bound parameters: the values go in as literals of the types PREPARE inferred.
          const args = params.map((p) => literal(client, p)).join(', ');
          const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
            `EXPLAIN (FORMAT JSON) EXECUTE hot${args ? `(${args})` : ''}`,
          );
          const scanned = seqScans(rows[0]!['QUERY PLAN'][0].Plan).filter((t) => t.startsWith('trx_'));
          found.set(`${label} (${mode})`, scanned);
        }
      } finally {
        await client.query('DEALLOCATE hot');
        await client.query('RESET plan_cache_mode');
      }
      return { rows: [], rowCount: 0 };
    },
  };
}

test('when the coordinator records a batch of acknowledgements or marks a round published, then no statement reads a table whole', async () => {
  const found = new Map<string, string[]>();
  const client = await pool.connect();
  try {
    const now = new Date();
    const outcomes = ids.map((transactionId, i) => ({
      transactionId,
      gid: gids[i]!,
      outcome: 'committed' as const,
    }));
    await updateBranchOutcomes(
      planningDb(client, found, 'acknowledgements'),
      outcomes,
      ids,
      { committed: ['prepared'], 'rolled-back': ['prepared'] },
      now,
    );
    await lockTransactions(planningDb(client, found, 'lock'), ids);
    await finishTransactions(
      planningDb(client, found, 'finish'),
      ids.map((id) => ({ id, expected: 'committing' as const, next: 'committed' as const, outbox: [] })),
      now,
    );
    await markAnnounced(planningDb(client, found, 'announced'), ids.concat(uuidv7()), now, true);
  } finally {
    client.release();
  }
  expect(found.size).toBe(8);
  expect(Object.fromEntries(found)).toEqual(Object.fromEntries([...found.keys()].map((k) => [k, []])));
});
