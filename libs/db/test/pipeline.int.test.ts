import { Client } from 'pg';
import { createTestDatabase, dropTestDatabase, writesDuring } from '@trx/test-support';
import { queryPipelined } from '../src';

/** Pipelines on the real Postgres: one write, one Sync, and a failure stops what follows it. */
let dbUrl: string;
let client: Client;
beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_db_pipeline');
  client = new Client({ connectionString: dbUrl });
  await client.connect();
  await client.query('CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL, at timestamptz)');
  // A sequence is not transactional: nextval shows which statements ran, whatever was rolled back.
  await client.query('CREATE SEQUENCE ran');
});
afterAll(async () => {
  await client?.end();
  await dropTestDatabase(dbUrl);
});
beforeEach(async () => {
  await client.query('TRUNCATE item; ALTER SEQUENCE ran RESTART');
});

const items = async () => (await client.query('SELECT id, name FROM item ORDER BY id')).rows;
/** How many `SELECT nextval('ran')` ran. */
const ran = async () => {
  const { rows } = await client.query<{ n: string }>(
    'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ran',
  );
  return Number(rows[0]!.n);
};
const tick = { text: "SELECT nextval('ran')::int AS tick" };

it('when a transaction is sent as a pipeline, then it is one write, and each statement answers with its own result', async () => {
  const at = new Date('2024-05-01T10:00:00.123Z');
  let results: Awaited<ReturnType<typeof queryPipelined>> = [];
  const writes = await writesDuring(client, async () => {
    results = await queryPipelined(client, [
      { text: 'BEGIN' },
      { text: 'INSERT INTO item VALUES ($1, $2, $3) RETURNING name, at', values: [1, 'a', at] },
      { text: 'INSERT INTO item VALUES ($1, $2)', values: [2, 'b'] },
      { text: 'SELECT count(*)::int AS n FROM item' },
      { text: 'COMMIT' },
    ]);
  });
  expect(writes).toBe(1);
  expect(results.map((r) => [r.command, r.rowCount])).toEqual([
    ['BEGIN', null],
    ['INSERT', 1],
    ['INSERT', 1],
    ['SELECT', 1],
    ['COMMIT', null],
  ]);
  // Parameters converted and rows parsed as pg does for a query of its own.
  expect(results[1]!.rows).toEqual([{ name: 'a', at }]);
  expect(results[3]!.rows).toEqual([{ n: 2 }]);
  expect(await items()).toEqual([
    { id: 1, name: 'a' },
    { id: 2, name: 'b' },
  ]);
});

it('when statement k fails, then the pipeline reports its error, no statement after it runs, and the transaction it opened is left aborted for the caller to roll back', async () => {
  await client.query('INSERT INTO item VALUES (1, $1)', ['there already']);
  const writes = await writesDuring(client, async () => {
    const pipelined = queryPipelined(client, [
      { text: 'BEGIN' },
      tick,
      { text: 'INSERT INTO item VALUES ($1, $2)', values: [2, 'b'] },
      { text: 'INSERT INTO item VALUES ($1, $2)', values: [1, 'duplicate'] },
      tick,
      { text: 'COMMIT' },
    ]);
    await expect(pipelined).rejects.toMatchObject({
      code: '23505',
      message: expect.stringMatching(/duplicate key/),
    });
  });
  expect(writes).toBe(1);
  await expect(client.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
  await client.query('ROLLBACK');
  expect(await ran()).toBe(1);
  expect(await items()).toEqual([{ id: 1, name: 'there already' }]);
});

it('when statements without a BEGIN fail midway, then the Sync ends their implicit transaction: none of them is kept and the connection needs no ROLLBACK', async () => {
  const pipelined = queryPipelined(client, [
    { text: 'INSERT INTO item VALUES ($1, $2)', values: [1, 'a'] },
    { text: 'INSERT INTO item VALUES ($1, $2)', values: [2, null] },
    tick,
  ]);
  await expect(pipelined).rejects.toMatchObject({ code: '23502' }); // not-null violation
  expect(await ran()).toBe(0);
  expect(await items()).toEqual([]);
  expect((await client.query('SELECT txid_current_if_assigned() AS open')).rows).toEqual([{ open: null }]);
});

it('when a parameter cannot be converted, then nothing is sent and the connection goes on', async () => {
  const unconvertible = {
    toPostgres: () => {
      throw new Error('no text form');
    },
  };
  const writes = await writesDuring(client, () =>
    expect(
      queryPipelined(client, [
        tick,
        { text: 'INSERT INTO item VALUES ($1, $2)', values: [1, unconvertible] },
      ]),
    ).rejects.toThrow('no text form'),
  );
  expect(writes).toBe(0);
  expect(await ran()).toBe(0);
  expect((await client.query('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
});
