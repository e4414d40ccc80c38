import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase } from '@trx/test-support';
import { pgDriver, poolOf } from '../src';

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
