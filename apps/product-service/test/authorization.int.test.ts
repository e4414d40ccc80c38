import { ENLIST_BY_INITIATOR, ENLIST_HEADER, TRANSACTION_HEADER } from '@trx/protocol';
import { call, testCredentials } from '@trx/test-support';
import { ProductHarness } from './product-harness';

let h: ProductHarness;
let url: string;

beforeAll(async () => {
  h = await ProductHarness.start();
  url = (await h.startApp()).url;
});
afterAll(() => h?.stop());

async function everything(): Promise<unknown> {
  return {
    products: await h.sql('SELECT id, stock FROM products ORDER BY id'),
    reservations: await h.sql('SELECT * FROM reservations ORDER BY id'),
    branches: await h.sql('SELECT * FROM trx_branch ORDER BY gid'),
    prepared: await h.prepared(),
  };
}

const made = '01900000-0000-7000-8000-000000000002';
const writes: { headers: Record<string, string> }[] = [
  { headers: {} },
  { headers: { [TRANSACTION_HEADER]: made, [ENLIST_HEADER]: ENLIST_BY_INITIATOR } },
];

test('when a reservation carries no credential, then it is 401; from another service, 403; nothing changes', async () => {
  const before = await everything();
  for (const { headers } of writes) {
    const none = await call(
      url,
      'POST',
      '/products/1/reservations',
      { quantity: 1 },
      { ...headers, authorization: '' },
    );
    expect(none).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
    const other = await call(
      url,
      'POST',
      '/products/1/reservations',
      { quantity: 1 },
      {
        ...headers,
        authorization: testCredentials.bearer('account-service'),
      },
    );
    expect(other).toMatchObject({ status: 403, body: { error: 'forbidden' } });
  }
  expect(await everything()).toEqual(before);
});

test('the catalogue is public', async () => {
  expect((await call(url, 'GET', '/products', undefined, { authorization: '' })).status).toBe(200);
});
