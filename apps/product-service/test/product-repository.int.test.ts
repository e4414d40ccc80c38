import { Client } from 'pg';
import { queryPipelined } from '@trx/db';
import { countSocketWrites } from '@trx/test-support';
import { takeStatement, takeStock } from '../src/data-access/product-repository';
import { ProductHarness } from './product-harness';

/** What a reservation sends to Postgres: it is on every order's path. */
let h: ProductHarness;
let client: Client;

beforeAll(async () => {
  h = await ProductHarness.start();
  await h.startApp(); // creates and migrates the database, and trx_expect with trx_branch
  client = new Client({ connectionString: h.dbUrl });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await h?.stop();
});

/** A trip as a local commit: the statements pipelined in the implicit transaction of one Sync. */
function takeFor(transactionId: string | null) {
  return takeStock((build) => queryPipelined(client, build(transactionId)));
}

const txId = '00000000-0000-4000-8000-00000000000a';
const reservationsOf = (transactionId: string) =>
  h.sql('SELECT product_id, quantity, unit_price FROM reservations WHERE transaction_id = $1', [
    transactionId,
  ]);

it('when the stock covers a reservation, then taking it and recording it is one statement in one write', async () => {
  const writes = countSocketWrites(client);
  const product = await takeFor(txId)({ productId: 2, quantity: 3 });
  writes.stop();
  expect(product).toEqual({ id: 2, name: 'Pour-over kettle', stock: 147, priceCents: 2500 });
  expect(writes.count).toBe(1);
  expect(await reservationsOf(txId)).toEqual([{ product_id: 2, quantity: 3, unit_price: '25.00' }]);
});

it('when the stock does not cover it, then the statement stops its transaction: nothing taken, nothing recorded', async () => {
  const other = '00000000-0000-4000-8000-00000000000b';
  expect(await takeFor(other)({ productId: 4, quantity: 11 })).toBe(undefined);
  expect(await reservationsOf(other)).toEqual([]);
  expect(await h.sql('SELECT stock FROM products WHERE id = 4')).toEqual([{ stock: 10 }]);
  // What came after the statement in the pipeline never ran.
  await expect(
    queryPipelined(client, [
      takeStatement({ productId: 4, quantity: 11, transactionId: other }),
      { text: 'INSERT INTO reservations (product_id, quantity, unit_price) VALUES (4, 99, 1)' },
    ]),
  ).rejects.toMatchObject({ code: 'TRX02' });
  expect(await h.sql('SELECT count(*)::int AS n FROM reservations WHERE quantity = 99')).toEqual([{ n: 0 }]);
});

it('when the product does not exist, then nothing is taken', async () => {
  expect(await takeFor(txId)({ productId: 999_999, quantity: 1 })).toBe(undefined);
});

it('when there is no transaction, then the reservation is recorded without one', async () => {
  const before = await h.sql('SELECT count(*)::int AS n FROM reservations WHERE transaction_id IS NULL');
  await takeFor(null)({ productId: 1, quantity: 1 });
  expect(await h.sql('SELECT count(*)::int AS n FROM reservations WHERE transaction_id IS NULL')).toEqual([
    { n: (before[0] as { n: number }).n + 1 },
  ]);
});
