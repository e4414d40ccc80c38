import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase } from '@trx/test-support';
import { pgDriver, poolOf, pgCode } from '../src';

let dbUrl: string;
beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_db_pool');
});
afterAll(async () => {
  await dropTestDatabase(dbUrl);
});

describe('poolOf', () => {
  it("gives the DataSource's own pg Pool, with the DataSource's settings", async () => {
    const dataSource = await new DataSource({
      type: 'postgres',
      url: dbUrl,
      poolSize: 3,
      driver: pgDriver(),
    }).initialize();
    try {
      const pool = poolOf(dataSource);
      expect(pool.options.max).toBe(3);
      // TypeORM checked a connection out of this very pool at initialize.
      expect(pool.totalCount).toBeGreaterThan(0);
      const [row] = (await pool.query('SELECT current_database() AS db')).rows as { db: string }[];
      expect(dbUrl.endsWith(`/${row!.db}`)).toBe(true);
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses a DataSource that was not given pgDriver()', async () => {
    const dataSource = new DataSource({ type: 'postgres', url: dbUrl });
    expect(() => poolOf(dataSource)).toThrow(/pgDriver/);
  });
});

describe("pgDriver's Pool.query", () => {
  it('runs a repeated statement under a name, as a checked-out client does', async () => {
    const pool = new (pgDriver().Pool)({ connectionString: dbUrl, max: 1 });
    try {
      const text = 'SELECT $1::int + 1 AS n';
      for (const n of [1, 2, 3]) {
        expect((await pool.query(text, [n])).rows).toEqual([{ n: n + 1 }]);
      }
      // The one session's prepared statements: Postgres keeps the text it parsed once.
      const { rows } = await pool.query('SELECT statement FROM pg_prepared_statements');
      expect(rows.map((r: { statement: string }) => r.statement)).toContain(text);
    } finally {
      await pool.end();
    }
  });

  it('leaves the connection of a failed statement in the pool, and keeps the callback style', async () => {
    const pool = new (pgDriver().Pool)({ connectionString: dbUrl, max: 1 });
    try {
      const pid = async () =>
        ((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
      const before = await pid();
      const err = await pool.query('SELECT 1 / $1::int', [0]).catch((e: unknown) => e);
      expect(pgCode(err)).toBe('22012'); // division_by_zero
      expect(await pid()).toBe(before);
      const viaCallback = await new Promise((resolve, reject) =>
        pool.query('SELECT $1::text AS t', ['cb'], (e, r) => (e ? reject(e) : resolve(r.rows))),
      );
      expect(viaCallback).toEqual([{ t: 'cb' }]);
    } finally {
      await pool.end();
    }
  });
});
