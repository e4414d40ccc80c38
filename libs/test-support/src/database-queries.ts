import { Client } from 'pg';
import { listPrepared } from '@trx/db';

/**
 * SQL on a connection of its own, opened and closed around the one query: a test reads
 * and writes a service's rows without borrowing (or waiting for) the service's pool.
 *
 * @example
 *   const [row] = await queryDatabase<{ stock: number }>(dbUrl, 'SELECT stock FROM products WHERE id = $1', [1]);
 */
export async function queryDatabase<T = Record<string, unknown>>(
  dbUrl: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withClient(dbUrl, async (client) => (await client.query(text, params)).rows as T[]);
}

/** The gids of the transactions left prepared in a database (a clean test leaves none). */
export async function preparedIn(dbUrl: string): Promise<string[]> {
  return withClient(dbUrl, (client) => listPrepared(client));
}

async function withClient<T>(dbUrl: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: dbUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
