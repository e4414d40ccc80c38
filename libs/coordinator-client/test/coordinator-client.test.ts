import type { AxiosResponse } from 'axios';
import type { ServiceCaller } from '@trx/discovery';
import { createCoordinatorClient } from '../src';

/** A ServiceCaller that answers with a fixed status and body (the HTTP shapes, not a coordinator). */
function answering(status: number, data: unknown, seen: unknown[] = []): ServiceCaller {
  return {
    async request(service, config) {
      seen.push({ service, ...config });
      return { status, data } as AxiosResponse;
    },
    async close() {},
  };
}

const tx = { id: 't1', status: 'rolling-back', branches: [] };

test('commit sends POST /v1/transactions/{id}/commit to the transaction-server', async () => {
  const seen: unknown[] = [];
  const client = createCoordinatorClient({
    caller: answering(200, { id: 't1', status: 'committing' }, seen),
  });
  await expect(client.commit('t1')).resolves.toMatchObject({ status: 'committing' });
  expect(seen[0]).toMatchObject({
    service: 'transaction-server',
    method: 'POST',
    url: '/v1/transactions/t1/commit',
  });
});

test('404 becomes TransactionNotFoundError', async () => {
  const client = createCoordinatorClient({
    caller: answering(404, { error: 'transaction-not-found', message: 'no' }),
  });
  await expect(client.get('t1')).rejects.toMatchObject({
    name: 'TransactionNotFoundError',
    transactionId: 't1',
    retryable: false,
  });
});

test('409 becomes TransactionConflictError with code, status and transaction', async () => {
  const client = createCoordinatorClient({
    caller: answering(409, {
      error: 'transaction-rolled-back',
      message: 'rolled back',
      status: 'rolling-back',
      details: { transaction: tx },
    }),
    service: 'coordinator',
  });
  await expect(client.commit('t1')).rejects.toMatchObject({
    name: 'TransactionConflictError',
    code: 'transaction-rolled-back',
    status: 'rolling-back',
    transaction: tx,
    retryable: false,
  });
});

test('400 becomes CoordinatorRejectedRequestError with the validation details', async () => {
  const client = createCoordinatorClient({
    caller: answering(400, { error: 'invalid-request', message: 'bad', details: [1] }),
  });
  await expect(client.begin({ timeoutMs: -1 })).rejects.toMatchObject({
    name: 'CoordinatorRejectedRequestError',
    details: [1],
  });
});

test('5xx and connection failures become a retryable CoordinatorUnavailableError', async () => {
  const failing: ServiceCaller = {
    async request() {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    },
    async close() {},
  };
  await expect(createCoordinatorClient({ caller: failing }).get('t1')).rejects.toMatchObject({
    name: 'CoordinatorUnavailableError',
    retryable: true,
  });
  await expect(createCoordinatorClient({ caller: answering(503, {}) }).get('t1')).rejects.toMatchObject({
    name: 'CoordinatorUnavailableError',
    httpStatus: 503,
  });
});

test('list sends limit and cursor as the query and answers the page', async () => {
  const seen: unknown[] = [];
  const page = { items: [tx], next: 'abc' };
  const client = createCoordinatorClient({ caller: answering(200, page, seen) });
  await expect(client.list({ limit: 1, cursor: 'xyz', status: 'active' })).resolves.toEqual(page);
  expect(seen[0]).toMatchObject({
    method: 'GET',
    url: '/v1/transactions',
    params: { limit: 1, cursor: 'xyz', status: 'active' },
  });
});

test('422 unknown-service becomes CoordinatorRejectedRequestError: a definite refusal, not retried', async () => {
  const client = createCoordinatorClient({
    caller: answering(422, { error: 'unknown-service', message: 'no', details: { service: 'x' } }),
  });
  await expect(
    client.registerBranch('t1', { service: 'x', instance: 'x-1', gid: 'trx:x:t1:k' }),
  ).rejects.toMatchObject({ name: 'CoordinatorRejectedRequestError', retryable: false });
});
