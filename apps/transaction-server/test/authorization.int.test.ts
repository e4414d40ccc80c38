import { makeGid, type BranchView, type TransactionView } from '@trx/protocol';
import { queryDatabase } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { waitAnnounced } from './announcements';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
let app: RunningCoordinator;
let ACCOUNT: string;
let PRODUCT: string;
let tx: TransactionView;
let branch: BranchView;

beforeAll(async () => {
  await h.setUp();
  app = await h.start();
  ACCOUNT = h.service('account');
  PRODUCT = h.service('product');
  const api = h.client(app);
  tx = await api.begin();
  branch = await api.registerBranch(tx.id, {
    service: ACCOUNT,
    instance: 'a1',
    gid: makeGid(ACCOUNT, tx.id, 'k'),
  });
});
afterAll(() => h.tearDown());

/** Every row of the coordinator's database, to prove a refusal changed nothing. */
async function everything(): Promise<unknown> {
  const rows = async (table: string) => queryDatabase(h.dbUrl, `SELECT * FROM ${table} ORDER BY id`);
  return {
    transactions: await rows('trx_transaction'),
    branches: await rows('trx_branch'),
    outbox: await rows('trx_outbox'),
  };
}

async function send(method: string, path: string, identity: string | undefined, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (identity) headers.authorization = h.credentials.bearer(identity);
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error: string; message: string } };
}

/** Each route; `other` is a service that is known but not allowed to make the call. */
const routes = () => [
  { method: 'POST', path: '/v1/transactions', body: {}, other: undefined },
  { method: 'GET', path: '/v1/transactions', other: undefined },
  { method: 'GET', path: `/v1/transactions/${tx.id}`, other: undefined },
  {
    method: 'POST',
    path: `/v1/transactions/${tx.id}/branches`,
    body: { service: ACCOUNT, instance: 'x', gid: makeGid(ACCOUNT, tx.id, 'forged'), vote: 'yes' },
    other: PRODUCT,
  },
  {
    method: 'PUT',
    path: `/v1/transactions/${tx.id}/branches/${branch.id}/vote`,
    body: { vote: 'no' },
    other: PRODUCT,
  },
  {
    method: 'PUT',
    path: `/v1/transactions/${tx.id}/branches/${branch.id}/outcome`,
    body: { outcome: 'rolled-back' },
    other: PRODUCT,
  },
  // Recovery asks about its own branch only.
  { method: 'POST', path: `/v1/transactions/${tx.id}/resolve`, body: { gid: branch.gid }, other: PRODUCT },
  { method: 'POST', path: `/v1/transactions/${tx.id}/commit`, body: {}, other: ACCOUNT },
  { method: 'POST', path: `/v1/transactions/${tx.id}/rollback`, body: { reason: 'hostile' }, other: ACCOUNT },
  {
    method: 'POST',
    path: '/v1/outcomes',
    body: { outcomes: [{ transactionId: tx.id, gid: branch.gid, outcome: 'rolled-back' }] },
    other: PRODUCT,
  },
];

test('when a /v1 call carries no credential or an unknown one, then it is 401 and nothing changes', async () => {
  const before = await everything();
  for (const r of routes()) {
    const none = await send(r.method, r.path, undefined, r.body);
    expect({ route: `${r.method} ${r.path}`, ...none }).toMatchObject({
      status: 401,
      body: { error: 'unauthenticated' },
    });
    const res = await fetch(`${app.url}${r.path}`, {
      method: r.method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${'x'.repeat(43)}` },
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
    });
    expect(res.status).toBe(401);
  }
  expect(await everything()).toEqual(before);
});

test('when another service registers, votes, acknowledges, commits or rolls back, then it is 403 and nothing changes', async () => {
  const before = await everything();
  for (const r of routes().filter((r) => r.other !== undefined)) {
    const res = await send(r.method, r.path, r.other, r.body);
    expect({ route: `${r.method} ${r.path}`, ...res }).toMatchObject({
      status: 403,
      body: { error: 'forbidden' },
    });
  }
  expect(await everything()).toEqual(before);
});

test('the operator reads every transaction but decides none', async () => {
  h.credentials.token('operator');
  expect((await send('GET', `/v1/transactions/${tx.id}`, 'operator')).status).toBe(200);
  expect((await send('GET', '/v1/transactions', 'operator')).status).toBe(200);
  const before = await everything();
  expect((await send('POST', `/v1/transactions/${tx.id}/rollback`, 'operator', {})).status).toBe(403);
  expect(await everything()).toEqual(before);
});

test('when the initiator commits, its branch owner acknowledges, then the transaction ends — the credentials that may, can', async () => {
  const api = h.client(app);
  await api.vote(tx.id, branch.id, { vote: 'yes' });
  expect(await api.commit(tx.id)).toMatchObject({ status: 'committing' });
  // The participant acknowledges once it heard the decision, i.e. once it was announced.
  await waitAnnounced(h.dbUrl, tx.id);
  await api.recordOutcomes({ outcomes: [{ transactionId: tx.id, gid: branch.gid, outcome: 'committed' }] });
  expect(await api.get(tx.id)).toMatchObject({ status: 'committed', branches: [{ status: 'committed' }] });
});
