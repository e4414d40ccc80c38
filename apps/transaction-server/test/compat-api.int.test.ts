import { routingKeys } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';

/** The Spring sample's clients, call for call: RestTemplate postForObject / put / getForObject. */
const h = new CoordinatorHarness();
let app: RunningCoordinator;

beforeAll(async () => {
  await h.setUp();
  app = await h.start({ compatListen: { host: '127.0.0.1', port: 0 } });
});
afterAll(() => h.tearDown());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.compatUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test('when the sample order-service begins, its participants join and vote, and it finishes CONFIRMED, then everyone hears CONFIRMED', async () => {
  const created = await call('POST', '/transactions', { id: null, status: 'NEW', participants: [] });
  expect(created.status).toBe(200);
  expect(created.body).toEqual({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    status: 'NEW',
    participants: [],
  });
  const id = created.body.id as string;

  for (const serviceId of ['product-service', 'account-service']) {
    const joined = await call('PUT', `/transactions/${id}/participants`, { serviceId, status: 'NEW' });
    expect(joined.status).toBe(200);
  }
  expect((await call('GET', `/transactions/${id}`)).body).toEqual({
    id,
    status: 'NEW',
    participants: [
      { serviceId: 'product-service', status: 'NEW' },
      { serviceId: 'account-service', status: 'NEW' },
    ],
  });

  const finished = await call('PUT', `/transactions/${id}/finish/CONFIRMED`);
  expect(finished.status).toBe(200);
  expect(finished.body.status).toBe('CONFIRMED');

  const [event] = await waitFor(() => {
    const got = h.capture.withKey(routingKeys.compatFinished).filter((m) => m.body.id === id);
    return got.length ? got : undefined;
  });
  expect(event!.body).toEqual({
    id,
    status: 'CONFIRMED',
    participants: [
      { serviceId: 'product-service', status: 'CONFIRMED' },
      { serviceId: 'account-service', status: 'CONFIRMED' },
    ],
  });
  // After their local commit the participants report back, as the sample's listeners do.
  const acked = await call('PUT', `/transactions/${id}/participants/account-service/status/CONFIRMED`);
  expect(acked.status).toBe(200);
  expect((await call('GET', `/transactions/${id}`)).body.status).toBe('CONFIRMED');
  // No decision queue for the compat participants: they learn the outcome from the event.
  await waitFor(() => h.capture.forTransaction(id).some((m) => m.routingKey === routingKeys.committed));
  expect(
    h.capture
      .forTransaction(id)
      .map((m) => m.routingKey)
      .sort(),
    // TRX_LIFECYCLE_EVENTS=decision (the default): no transaction.begun, one event at the decision.
  ).toEqual([routingKeys.compatFinished, routingKeys.committed].sort());
  const page = await call('GET', '/transactions?limit=100');
  expect(page.body.items.some((t: { id: string }) => t.id === id)).toBe(true);
});

test('when a sample participant reports TO_ROLLBACK, then finishing CONFIRMED ends as ROLLBACK', async () => {
  const { body } = await call('POST', '/transactions', { id: null, status: 'NEW', participants: [] });
  await call('PUT', `/transactions/${body.id}/participants`, { serviceId: 'product-service', status: 'NEW' });
  await call('PUT', `/transactions/${body.id}/participants`, { serviceId: 'account-service', status: 'NEW' });
  const voted = await call('PUT', `/transactions/${body.id}/participants/account-service/status/TO_ROLLBACK`);
  expect(voted.body.participants).toEqual([
    { serviceId: 'product-service', status: 'NEW' },
    { serviceId: 'account-service', status: 'TO_ROLLBACK' },
  ]);
  const finished = await call('PUT', `/transactions/${body.id}/finish/CONFIRMED`);
  expect(finished).toMatchObject({ status: 200, body: { status: 'ROLLBACK' } });
  expect(finished.body.participants.map((p: { status: string }) => p.status)).toEqual([
    'ROLLBACK',
    'ROLLBACK',
  ]);
  const [event] = await waitFor(() => {
    const got = h.capture.withKey(routingKeys.compatFinished).filter((m) => m.body.id === body.id);
    return got.length ? got : undefined;
  });
  expect(event!.body.status).toBe('ROLLBACK');
});

test('when the sample finishes with ROLLBACK, then the transaction is rolled back', async () => {
  const { body } = await call('POST', '/transactions', { id: null, status: 'NEW', participants: [] });
  await call('PUT', `/transactions/${body.id}/participants`, { serviceId: 'product-service', status: 'NEW' });
  expect((await call('PUT', `/transactions/${body.id}/finish/ROLLBACK`)).body).toEqual({
    id: body.id,
    status: 'ROLLBACK',
    participants: [{ serviceId: 'product-service', status: 'ROLLBACK' }],
  });
  await waitFor(() =>
    h.capture.forTransaction(body.id).some((m) => m.routingKey === routingKeys.compatFinished),
  );
});

test('where the sample silently did nothing, the compatible API says what is wrong', async () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  expect(await call('GET', `/transactions/${unknown}`)).toMatchObject({
    status: 404,
    body: { error: 'transaction-not-found' },
  });
  expect((await call('PUT', `/transactions/${unknown}/finish/CONFIRMED`)).status).toBe(404);
  // The sample's listeners call this literal path; it names no transaction.
  expect(
    (await call('PUT', '/transactions/transactionId/participants/account-service/status/TO_ROLLBACK')).status,
  ).toBe(404);
  const { body } = await call('POST', '/transactions', { id: null, status: 'NEW', participants: [] });
  expect((await call('PUT', `/transactions/${body.id}/finish/CONFIRM`)).body).toMatchObject({
    error: 'invalid-request',
  });
  expect((await call('PUT', `/transactions/${body.id}/participants`, { status: 'NEW' })).status).toBe(400);
  expect((await call('POST', '/transactions', { id: 'mine', status: 'NEW' })).status).toBe(400);
});

test('the compat API is served only on its own listener, and what reaches it can never touch a /v1 transaction', async () => {
  expect((await fetch(`${app.url}/transactions`, { method: 'POST' })).status).toBe(404);
  const api = h.client(app);
  const v1 = await api.begin();
  expect((await call('GET', `/transactions/${v1.id}`)).status).toBe(404);
  expect((await call('PUT', `/transactions/${v1.id}/finish/ROLLBACK`)).status).toBe(404);
  expect(
    (await call('PUT', `/transactions/${v1.id}/participants`, { serviceId: 'x', status: 'NEW' })).status,
  ).toBe(404);
  const listed = (await call('GET', '/transactions')).body as { items: { id: string }[] };
  expect(listed.items.map((t) => t.id)).not.toContain(v1.id);
  expect(await api.get(v1.id)).toMatchObject({ status: 'active', branches: [] });

  // …and a service's credential can't decide a compat transaction through /v1.
  const compat = (await call('POST', '/transactions', { id: null, status: 'NEW', participants: [] })).body;
  await expect(api.rollback(compat.id, 'hijack')).rejects.toMatchObject({
    name: 'CoordinatorRejectedRequestError',
  });
  expect((await call('GET', `/transactions/${compat.id}`)).body).toMatchObject({ status: 'NEW' });
});

test('the compat list comes in pages of compat transactions, newest first, with limit and cursor', async () => {
  const made: string[] = [];
  for (let i = 0; i < 3; i++) made.push((await call('POST', '/transactions', { participants: [] })).body.id);
  const first = (await call('GET', '/transactions?limit=2')).body as {
    items: { id: string }[];
    next: string;
  };
  expect(first.items.map((t) => t.id)).toEqual([made[2], made[1]]);
  const second = (await call('GET', `/transactions?limit=2&cursor=${first.next}`)).body as {
    items: { id: string }[];
  };
  expect(second.items[0]!.id).toBe(made[0]);
  expect((await call('GET', '/transactions?cursor=nope')).status).toBe(400);
});
