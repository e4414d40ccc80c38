import { makeGid, uuidv7 } from '@trx/protocol';
import type { RunningCoordinator } from '../src/start';
import { waitAnnounced } from './announcements';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
let app: RunningCoordinator;
let SERVICE: string;

beforeAll(async () => {
  await h.setUp();
  app = await h.start();
  SERVICE = h.service('account');
});
afterAll(() => h.tearDown());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  // Branch calls as the branch's service, the rest as the initiator: each with its own token.
  const identity = path.includes('/branches') ? SERVICE : CoordinatorHarness.INITIATOR;
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: h.credentials.bearer(identity) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

test('an invalid body is refused with 400 invalid-request and the validation details', async () => {
  const res = await call('POST', '/v1/transactions', { timeoutMs: -5 });
  expect(res).toMatchObject({ status: 400, body: { error: 'invalid-request', retryable: false } });
  expect(res.body.details[0]).toMatchObject({ path: 'timeoutMs' });
  expect((await call('POST', '/v1/transactions', { timeoutMs: 10_000_000 })).status).toBe(400);
  const bad = await fetch(`${app.url}/v1/transactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: h.credentials.bearer(CoordinatorHarness.INITIATOR),
    },
    body: '{',
  });
  expect(bad.status).toBe(400);
});

test('an unknown transaction or branch is 404, with no stack trace on the wire', async () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  expect(await call('GET', `/v1/transactions/${unknown}`)).toMatchObject({
    status: 404,
    body: { error: 'transaction-not-found' },
  });
  expect((await call('POST', '/v1/transactions/not-a-uuid/commit')).status).toBe(404);
  // Only a UUIDv7 names a transaction nobody began: a commit of any other unknown id is 404.
  expect(await call('POST', `/v1/transactions/${unknown}/commit`)).toMatchObject({
    status: 404,
    body: { error: 'transaction-not-found' },
  });
  // A read never creates one.
  const unseen = uuidv7();
  expect((await call('GET', `/v1/transactions/${unseen}`)).status).toBe(404);
  expect((await call('GET', `/v1/transactions/${unseen}`)).status).toBe(404);
  const tx = (await call('POST', '/v1/transactions', {})).body;
  const res = await call('PUT', `/v1/transactions/${tx.id}/branches/${unknown}/vote`, { vote: 'yes' });
  expect(res).toMatchObject({ status: 404, body: { error: 'branch-not-found' } });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts/);
});

test('registering the same gid and vote twice is idempotent; another transaction cannot take the gid', async () => {
  const tx = (await call('POST', '/v1/transactions', {})).body;
  const gid = makeGid(SERVICE, tx.id, 'b1');
  const request = { service: SERVICE, instance: 'i1', gid, vote: 'yes' };
  const first = await call('POST', `/v1/transactions/${tx.id}/branches`, request);
  const again = await call('POST', `/v1/transactions/${tx.id}/branches`, request);
  expect([first.status, again.status]).toEqual([201, 200]);
  expect(again.body.id).toBe(first.body.id);
  expect(
    (await call('POST', `/v1/transactions/${tx.id}/branches`, { ...request, vote: 'no' })).body,
  ).toMatchObject({ error: 'vote-conflict' });
  const other = (await call('POST', '/v1/transactions', {})).body;
  expect((await call('POST', `/v1/transactions/${other.id}/branches`, request)).body).toMatchObject({
    error: 'duplicate-gid',
  });
});

test('the classic flow: join first, vote later, then commit; an acknowledgement that contradicts the decision is 409', async () => {
  const tx = (await call('POST', '/v1/transactions', { timeoutMs: 5000, initiator: 'test' })).body;
  const branch = (
    await call('POST', `/v1/transactions/${tx.id}/branches`, {
      service: SERVICE,
      instance: 'i1',
      gid: makeGid(SERVICE, tx.id, 'c1'),
    })
  ).body;
  expect(branch.status).toBe('registered');
  expect(
    (await call('PUT', `/v1/transactions/${tx.id}/branches/${branch.id}/vote`, { vote: 'yes' })).body.status,
  ).toBe('prepared');
  expect((await call('POST', `/v1/transactions/${tx.id}/commit`)).body.status).toBe('committing');
  expect((await call('POST', `/v1/transactions/${tx.id}/commit`)).status).toBe(200);
  expect((await call('POST', `/v1/transactions/${tx.id}/rollback`, { reason: 'late' })).body).toMatchObject({
    error: 'transaction-committed',
    status: 'committing',
  });
  expect(
    (await call('PUT', `/v1/transactions/${tx.id}/branches/${branch.id}/outcome`, { outcome: 'rolled-back' }))
      .body,
  ).toMatchObject({ error: 'outcome-mismatch' });
  // The participant acknowledges what it heard: the decision, once announced.
  await waitAnnounced(h.dbUrl, tx.id);
  expect(
    (await call('PUT', `/v1/transactions/${tx.id}/branches/${branch.id}/outcome`, { outcome: 'committed' }))
      .status,
  ).toBe(200);
  expect((await call('GET', `/v1/transactions/${tx.id}`)).body.status).toBe('committed');
  const page = (await call('GET', '/v1/transactions?status=committed&limit=1')).body;
  expect(page).toMatchObject({ items: [{ status: 'committed' }] });
  expect(page.items).toHaveLength(1);
  expect((await call('GET', '/v1/transactions?status=nope')).status).toBe(400);
});

test('an empty transaction commits trivially', async () => {
  const tx = (await call('POST', '/v1/transactions', {})).body;
  expect((await call('POST', `/v1/transactions/${tx.id}/commit`)).body).toMatchObject({
    status: 'committed',
    branches: [],
  });
});

test('health, readiness, metrics and the OpenAPI document are served', async () => {
  expect((await call('GET', '/health/live')).status).toBe(200);
  expect(await call('GET', '/health/ready')).toMatchObject({
    status: 200,
    body: { checks: { database: 'up', broker: 'up' } },
  });
  const metrics = await call('GET', '/metrics');
  expect(metrics.body).toContain('trx_transactions_begun_total');
  expect(metrics.body).toContain('trx_decision_latency_seconds');
  expect(metrics.body).toContain('trx_outbox_backlog');
  const doc = (await call('GET', '/openapi.json')).body;
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining([
      '/v1/transactions',
      '/v1/transactions/{id}',
      '/v1/transactions/{id}/branches',
      '/v1/transactions/{id}/branches/{branchId}/vote',
      '/v1/transactions/{id}/branches/{branchId}/outcome',
      '/v1/transactions/{id}/commit',
      '/v1/transactions/{id}/rollback',
      '/v1/outcomes',
      '/transactions',
      '/transactions/{id}',
      '/transactions/{id}/participants',
      '/transactions/{id}/finish/{status}',
      '/transactions/{id}/participants/{serviceId}/status/{status}',
    ]),
  );
});
