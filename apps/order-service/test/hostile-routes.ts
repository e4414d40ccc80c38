import type { ApiDocument, RouteBase, Schema } from './hostile-corpus';

/**
 * The routes of the apps that serve no /openapi.json (order-, account- and product-service),
 * written from their code in the same shape, with a request each would accept.
 */
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const integer = (name: string, where: 'path' | 'query') => ({ name, in: where, schema: { type: 'integer' } });
const string = (name: string, where: 'path' | 'query', format?: string) => ({
  name,
  in: where,
  schema: { type: 'string', format },
});
const body = (properties: Record<string, Schema>) => ({
  content: {
    'application/json': { schema: { type: 'object', required: Object.keys(properties), properties } },
  },
});
const pageParams = [integer('limit', 'query'), string('cursor', 'query')];

export const APP_ROUTES: Record<
  'order' | 'account' | 'product',
  { document: ApiDocument; bases: Record<string, RouteBase> }
> = {
  account: {
    document: {
      paths: {
        '/accounts': { get: { parameters: [integer('customerId', 'query'), ...pageParams] } },
        '/accounts/{id}': { get: { parameters: [integer('id', 'path')] } },
        '/accounts/{id}/withdrawals': {
          post: { parameters: [integer('id', 'path')], requestBody: body({ amount: { type: 'number' } }) },
        },
        '/customers/{id}/withdrawals': {
          post: { parameters: [integer('id', 'path')], requestBody: body({ amount: { type: 'number' } }) },
        },
      },
    },
    bases: {
      'GET /accounts': { query: { customerId: '1' } },
      'GET /accounts/{id}': { params: { id: '1' } },
      // The header probe names a transaction that does not exist: the withdrawal can't commit.
      'POST /accounts/{id}/withdrawals': {
        params: { id: '1' },
        body: { amount: 1 },
        headerProbe: { params: { id: '1' }, body: { amount: 1 }, headers: { 'x-transaction-id': ZERO_UUID } },
      },
      'POST /customers/{id}/withdrawals': {
        params: { id: '1' },
        body: { amount: 1 },
        headerProbe: { params: { id: '1' }, body: { amount: 1 }, headers: { 'x-transaction-id': ZERO_UUID } },
      },
    },
  },
  product: {
    document: {
      paths: {
        '/products': { get: {} },
        '/products/{id}': { get: { parameters: [integer('id', 'path')] } },
        '/products/{id}/reservations': {
          post: { parameters: [integer('id', 'path')], requestBody: body({ quantity: { type: 'integer' } }) },
        },
      },
    },
    bases: {
      'GET /products': { public: true },
      'GET /products/{id}': { public: true, params: { id: '1' } },
      'POST /products/{id}/reservations': {
        params: { id: '1' },
        body: { quantity: 1 },
        headerProbe: {
          params: { id: '1' },
          body: { quantity: 1 },
          headers: { 'x-transaction-id': ZERO_UUID },
        },
      },
    },
  },
  order: {
    document: {
      paths: {
        '/orders': {
          post: {
            requestBody: body({
              customerId: { type: 'integer' },
              productId: { type: 'integer' },
              quantity: { type: 'integer' },
            }),
          },
          get: { parameters: [integer('customerId', 'query'), ...pageParams] },
        },
        '/orders/{id}': { get: { parameters: [string('id', 'path', 'uuid')] } },
      },
    },
    bases: {
      // The header probe orders for another customer: refused (403) after the headers were read.
      'POST /orders': {
        body: { customerId: 1, productId: 1, quantity: 1 },
        headerProbe: { body: { customerId: 2, productId: 1, quantity: 1 } },
      },
      'GET /orders': { query: { customerId: '1' } },
      'GET /orders/{id}': { params: { id: ZERO_UUID } },
    },
  },
};
