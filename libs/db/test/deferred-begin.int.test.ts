import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase, writesDuring } from '@trx/test-support';
import { pgDriver, poolOf, queryPipelined } from '../src';

let dbUrl: string;
let pool: Pool;
beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_db_deferred_begin');
  pool = new (pgDriver().Pool)({ connectionString: dbUrl, max: 1 });
  await pool.query('CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)');
});
afterAll(async () => {
  await pool.end();
  await dropTestDatabase(dbUrl);
});
beforeEach(async () => {
  await pool.query('TRUNCATE item');
});

async function count(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM item');
  return rows[0]!.n;
}

describe('DeferredBeginClient (pgDriver connections)', () => {
  it('sends BEGIN with the first statement that has parameters: one write, and it is one transaction', async () => {
    const client = await pool.connect();
    try {
      const writes = await writesDuring(client, async () => {
        const begun = await client.query('START TRANSACTION');
        expect(begun.command).toBe('BEGIN');
        const inserted = await client.query('INSERT INTO item VALUES ($1, $2) RETURNING name', [1, 'a']);
        expect(inserted.command).toBe('INSERT');
        expect(inserted.rows).toEqual([{ name: 'a' }]);
      });
      expect(writes).toBe(1);
      const { rows } = await client.query<{ open: boolean }>(
        'SELECT txid_current_if_assigned() IS NOT NULL AS open',
      );
      expect(rows[0]!.open).toBe(true);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await count()).toBe(0);
  });

  it('leaves the transaction aborted when the statement fails, and ROLLBACK ends it', async () => {
    await pool.query('INSERT INTO item VALUES (1, $1)', ['a']);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await expect(client.query('INSERT INTO item VALUES ($1, $2)', [1, 'b'])).rejects.toThrow(
        /duplicate key/,
      );
      await expect(client.query('SELECT $1::int', [1])).rejects.toThrow(/current transaction is aborted/);
      await client.query('ROLLBACK');
      expect((await client.query('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
    } finally {
      client.release();
    }
  });

  it('sends a held BEGIN before a statement without parameters (simple protocol), as two statements', async () => {
    const client = await pool.connect();
    try {
      await client.query('START TRANSACTION');
      await client.query("INSERT INTO item VALUES (1, 'a'); INSERT INTO item VALUES (2, 'b')");
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await count()).toBe(0);
  });

  it('drops a BEGIN nobody followed when the connection goes back to the pool', async () => {
    const first = await pool.connect();
    await first.query('START TRANSACTION');
    first.release();
    const second = await pool.connect(); // the same connection: the pool holds one
    try {
      await second.query('INSERT INTO item VALUES ($1, $2)', [1, 'a']);
      const { rows } = await second.query<{ open: boolean }>(
        'SELECT txid_current_if_assigned() IS NOT NULL AS open',
      );
      expect(rows[0]!.open).toBe(false); // autocommit: the dropped BEGIN did not open a transaction
    } finally {
      second.release();
    }
    expect(await count()).toBe(1);
  });

  it("serves TypeORM's transactions (START TRANSACTION, work, COMMIT / ROLLBACK)", async () => {
    const dataSource = await new DataSource({
      type: 'postgres',
      url: dbUrl,
      driver: pgDriver(),
    }).initialize();
    try {
      await dataSource.transaction(async (manager) => {
        await manager.query('INSERT INTO item VALUES ($1, $2)', [1, 'a']);
        await manager.query('INSERT INTO item VALUES ($1, $2)', [2, 'b']);
      });
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query('INSERT INTO item VALUES ($1, $2)', [3, 'c']);
          throw new Error('the work gave up');
        }),
      ).rejects.toThrow('the work gave up');
      expect(poolOf(dataSource).options.Client).toBeDefined();
    } finally {
      await dataSource.destroy();
    }
    expect(await count()).toBe(2);
  });
});

describe('named statements (pgDriver connections)', () => {
  const preparedNames = async (client: PoolClient) =>
    (await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map(
      (r) => r.name,
    );

  it('runs a parameterized statement under a name from its second use on, also right after a held BEGIN', async () => {
    const client = await pool.connect();
    try {
      const before = await preparedNames(client); // the connection may have named others' statements
      for (let i = 1; i <= 4; i++) {
        await client.query('BEGIN');
        const { rows } = await client.query('INSERT INTO item VALUES ($1, $2) RETURNING id, name', [
          i,
          `n${i}`,
        ]);
        expect(rows).toEqual([{ id: i, name: `n${i}` }]);
        await client.query('COMMIT');
        // Once named, the statement is parsed once: Postgres holds exactly one prepared statement for it.
        const added = (await preparedNames(client)).filter((n) => !before.includes(n));
        expect(added).toHaveLength(i === 1 ? 0 : 1);
      }
      const read = await client.query('SELECT name FROM item WHERE id = $1', [3]);
      expect(read.rows).toEqual([{ name: 'n3' }]);
    } finally {
      client.release();
    }
    expect(await count()).toBe(4);
  });

  it('parses again under a new name when the rows it returns changed shape', async () => {
    await pool.query('INSERT INTO item VALUES (1, $1)', ['a']);
    const client = await pool.connect();
    try {
      for (let i = 0; i < 3; i++) await client.query('SELECT * FROM item WHERE id = $1', [1]);
      await client.query('ALTER TABLE item ADD COLUMN extra int');
      await expect(client.query('SELECT * FROM item WHERE id = $1', [1])).rejects.toThrow(/cached plan/);
      const { rows } = await client.query('SELECT * FROM item WHERE id = $1', [1]);
      expect(rows).toEqual([{ id: 1, name: 'a', extra: null }]);
    } finally {
      await client.query('ALTER TABLE item DROP COLUMN extra');
      client.release();
    }
  });

  it("names a pipeline's repeated statements too, shared with the connection's own queries", async () => {
    const client = await pool.connect();
    const insert = 'INSERT INTO item VALUES ($1, $2) RETURNING id';
    try {
      const before = await preparedNames(client);
      const added = async () => (await preparedNames(client)).filter((n) => !before.includes(n));
      const pipeline = (id: number) =>
        queryPipelined(client, [
          { text: 'BEGIN' },
          { text: insert, values: [id, `p${id}`] },
          { text: 'COMMIT' },
        ]);
      await pipeline(1);
      expect(await added()).toHaveLength(0); // first use: unnamed
      await pipeline(2);
      expect(await added()).toHaveLength(1); // second: parsed under a name
      const writes = await writesDuring(client, () => pipeline(3));
      expect(writes).toBe(1);
      expect(await added()).toHaveLength(1); // third: the same name, no new Parse
      // pg's own query of the same text takes the name the pipeline parsed.
      await client.query(insert, [4, 'q4']);
      expect(await added()).toHaveLength(1);
    } finally {
      client.release();
    }
    expect(await count()).toBe(4);
  });

  it('when a named statement of a pipeline fails, then its name is dropped and the next run parses it afresh', async () => {
    const client = await pool.connect();
    const insert = 'INSERT INTO item VALUES ($1, $2)';
    try {
      await queryPipelined(client, [{ text: insert, values: [1, 'a'] }]);
      // Its second use is its first under a name: Parse succeeds, Execute fails (duplicate key).
      await expect(queryPipelined(client, [{ text: insert, values: [1, 'again'] }])).rejects.toMatchObject({
        code: '23505',
      });
      // Had the name been kept as "not yet parsed", this Parse would fail: it already exists.
      await queryPipelined(client, [{ text: insert, values: [2, 'b'] }]);
      await queryPipelined(client, [{ text: insert, values: [3, 'c'] }]);
    } finally {
      client.release();
    }
    expect(await count()).toBe(3);
  });
});
