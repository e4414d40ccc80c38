import { Pool } from 'pg';
import { createTestDatabase, dropTestDatabase, queryDatabase } from '@trx/test-support';
import { inTransaction } from '../src/data-access/data-source';

/**
 * Found by the chaos run (a Postgres restart in immediate mode): a connection that died
 * while checked out of the pool was an unhandled 'error' event and the coordinator exited.
 */
describe('a coordinator transaction whose connection dies', () => {
  let url: string;
  let pool: Pool;

  beforeAll(async () => {
    url = await createTestDatabase('trx_ts_connloss');
    pool = new Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
  });

  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  it('when the server ends the session mid-transaction, then the work fails and the process lives on', async () => {
    const uncaught: Error[] = [];
    const onUncaught = (err: Error) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const work = inTransaction(pool, async (client) => {
        const { pid } = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number };
        await queryDatabase(url, 'SELECT pg_terminate_backend($1)', [pid]);
        await client.query('SELECT pg_sleep(1)');
      });
      await expect(work).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
      // The broken client was discarded: the pool still serves.
      await expect(inTransaction(pool, (client) => client.query('SELECT 1'))).resolves.toBeDefined();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
