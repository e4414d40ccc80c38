import { ENLIST_BY_INITIATOR, ENLIST_HEADER, TRANSACTION_HEADER } from '@trx/protocol';
import { call, testCredentials } from '@trx/test-support';
import { AccountHarness } from './account-harness';

let h: AccountHarness;
let url: string;

beforeAll(async () => {
  h = await AccountHarness.start();
  url = (await h.startApp()).url;
});
afterAll(() => h?.stop());

/** Balances, withdrawals, branches and prepared transactions: what a refused call must not touch. */
async function everything(): Promise<unknown> {
  return {
    accounts: await h.sql('SELECT id, balance FROM accounts ORDER BY id'),
    withdrawals: await h.sql('SELECT * FROM withdrawals ORDER BY id'),
    branches: await h.sql('SELECT * FROM trx_branch ORDER BY gid'),
    prepared: await h.prepared(),
  };
}

const made = '01900000-0000-7000-8000-000000000001';
const routes: { method: string; path: string; body?: unknown; headers?: Record<string, string> }[] = [
  { method: 'GET', path: '/accounts?customerId=1' },
  { method: 'GET', path: '/accounts/1' },
  { method: 'POST', path: '/accounts/1/withdrawals', body: { amount: 1 } },
  {
    method: 'POST',
    path: '/accounts/1/withdrawals',
    body: { amount: 1 },
    headers: { [TRANSACTION_HEADER]: made, [ENLIST_HEADER]: ENLIST_BY_INITIATOR },
  },
  { method: 'POST', path: '/customers/1/withdrawals', body: { amount: 1 } },
  {
    method: 'POST',
    path: '/customers/1/withdrawals',
    body: { amount: 1 },
    headers: { [TRANSACTION_HEADER]: made, [ENLIST_HEADER]: ENLIST_BY_INITIATOR },
  },
];

test('when a call carries no credential, then every account route answers 401 and nothing changes', async () => {
  const before = await everything();
  for (const r of routes) {
    const res = await call(url, r.method, r.path, r.body, { ...r.headers, authorization: '' });
    expect({ route: r.path, ...res }).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
  }
  expect(await everything()).toEqual(before);
});

test("when another service (not the order-service) calls, then it is 403: balances are nobody else's business", async () => {
  const before = await everything();
  for (const caller of ['product-service', 'transaction-server']) {
    for (const r of routes) {
      const res = await call(url, r.method, r.path, r.body, {
        ...r.headers,
        authorization: testCredentials.bearer(caller),
      });
      expect({ route: r.path, caller, ...res }).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      expect(JSON.stringify(res.body)).not.toMatch(/balance|\d+\.\d\d/);
    }
  }
  expect(await everything()).toEqual(before);
});

test('the operator may withdraw directly, charge a customer and read balances', async () => {
  const operator = { authorization: testCredentials.bearer('operator') };
  expect((await call(url, 'GET', '/accounts/1', undefined, operator)).status).toBe(200);
  expect((await call(url, 'POST', '/accounts/1/withdrawals', { amount: 1 }, operator)).status).toBe(201);
  expect((await call(url, 'POST', '/customers/1/withdrawals', { amount: 1 }, operator)).status).toBe(201);
});
