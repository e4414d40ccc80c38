import type { DataSource } from 'typeorm';
import { recordingDataSource } from '@trx/test-support';
import { productStore } from '../src/data-access/product-repository';
import { ProductHarness } from './product-harness';

/** What the product store sends to Postgres: a reservation is on every order's path. */
let h: ProductHarness;
let counted: DataSource;
let sent: string[];

beforeAll(async () => {
  h = await ProductHarness.start();
  await h.startApp(); // creates and migrates the database
  ({ dataSource: counted, sent } = await recordingDataSource(h.dbUrl));
});

afterAll(async () => {
  await counted?.destroy();
  await h?.stop();
});

const txId = '00000000-0000-4000-8000-00000000000a';
const reservationsOf = (transactionId: string) =>
  h.sql('SELECT product_id, quantity, unit_price FROM reservations WHERE transaction_id = $1', [
    transactionId,
  ]);

it('when the stock covers a reservation, then taking it and recording it is one statement', async () => {
  sent.length = 0;
  const product = await productStore(counted.manager).take({
    productId: 2,
    quantity: 3,
    transactionId: txId,
  });
  expect(product).toEqual({ id: 2, name: 'Pour-over kettle', stock: 147, priceCents: 2500 });
  expect(sent).toHaveLength(1);
  expect(await reservationsOf(txId)).toEqual([{ product_id: 2, quantity: 3, unit_price: '25.00' }]);
});

it('when the stock does not cover it, then nothing is taken and no reservation is recorded', async () => {
  const other = '00000000-0000-4000-8000-00000000000b';
  sent.length = 0;
  expect(await productStore(counted.manager).take({ productId: 4, quantity: 11, transactionId: other })).toBe(
    undefined,
  );
  expect(sent).toHaveLength(1);
  expect(await reservationsOf(other)).toEqual([]);
  expect(await h.sql('SELECT stock FROM products WHERE id = 4')).toEqual([{ stock: 10 }]);
});

it('when there is no transaction, then the reservation is recorded without one', async () => {
  const before = await h.sql('SELECT count(*)::int AS n FROM reservations WHERE transaction_id IS NULL');
  await productStore(counted.manager).take({ productId: 1, quantity: 1, transactionId: null });
  expect(await h.sql('SELECT count(*)::int AS n FROM reservations WHERE transaction_id IS NULL')).toEqual([
    { n: (before[0] as { n: number }).n + 1 },
  ]);
});
