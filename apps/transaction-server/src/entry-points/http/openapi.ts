import { TRANSACTION_STATUSES } from '@trx/protocol';
import { openApiSchemas } from './openapi-schemas';

/** The whole HTTP API as OpenAPI 3.1, served at `GET /openapi.json`. Kept next to the routes it describes. */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('Error')) });
/** Keyset pages: `limit` and the opaque `cursor` of the previous page's `next`. */
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: { type: 'string', maxLength: 400 } },
];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const branchParam = {
  name: 'branchId',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};
const compatStatusParam = { name: 'status', in: 'path', required: true, schema: ref('CompatStatus') };
const common = {
  '400': error('invalid-request'),
  '404': error('transaction-not-found / branch-not-found'),
  '503': error('retry'),
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'trx transaction-server',
    version: '1.0.0',
    description: 'The trx coordinator. See docs/api.md.',
  },
  paths: {
    '/v1/transactions': {
      post: {
        summary: 'Begin a transaction',
        requestBody: json(ref('BeginRequest')),
        responses: { '201': { description: 'begun', ...json(ref('Transaction')) }, ...common },
      },
      get: {
        summary: 'List transactions, newest first',
        parameters: [{ name: 'status', in: 'query', schema: { enum: TRANSACTION_STATUSES } }, ...pageParams],
        responses: { '200': { description: 'a page', ...json(ref('TransactionList')) }, ...common },
      },
    },
    '/v1/transactions/{id}': {
      get: {
        summary: 'A transaction with its branches (a read: an unknown one is 404, nothing recorded)',
        parameters: [idParam],
        responses: { '200': { description: 'found', ...json(ref('Transaction')) }, ...common },
      },
    },
    '/v1/transactions/{id}/resolve': {
      post: {
        summary:
          "Recovery: how the transaction of the caller's branch ended. Unknown within its deadline: active, nothing written; unknown past it: recorded rolled back first (a tombstone, reason presumed-abort). 400 for a gid of another transaction",
        parameters: [idParam],
        requestBody: json(ref('ResolveRequest')),
        responses: {
          '200': {
            description: 'as known, active (unknown, in time) or the tombstone',
            ...json(ref('Transaction')),
          },
          ...common,
        },
      },
    },
    '/v1/transactions/{id}/branches': {
      post: {
        summary: 'Register a branch, optionally already voted',
        parameters: [idParam],
        requestBody: json(ref('RegisterBranchRequest')),
        responses: {
          '201': { description: 'registered', ...json(ref('Branch')) },
          '200': { description: 'same gid and vote again', ...json(ref('Branch')) },
          '409': error('transaction-decided / duplicate-gid / vote-conflict'),
          ...common,
        },
      },
    },
    '/v1/transactions/{id}/branches/{branchId}/vote': {
      put: {
        summary: "Record a branch's vote",
        parameters: [idParam, branchParam],
        requestBody: json(ref('VoteRequest')),
        responses: {
          '200': { description: 'recorded', ...json(ref('Branch')) },
          '409': error('transaction-decided / vote-conflict'),
          ...common,
        },
      },
    },
    '/v1/transactions/{id}/branches/{branchId}/outcome': {
      put: {
        summary: "Acknowledge a branch's outcome",
        parameters: [idParam, branchParam],
        requestBody: json(ref('OutcomeRequest')),
        responses: {
          '200': { description: 'recorded', ...json(ref('Branch')) },
          '409': error('outcome-mismatch / transaction-not-decided'),
          ...common,
        },
      },
    },
    '/v1/transactions/{id}/commit': {
      post: {
        summary:
          'Commit, enlisting prepared branches: COMMIT if every branch voted yes, else ROLLBACK. A UUIDv7 id nobody began is created by it (protocol v2); events go out only on COMMIT',
        parameters: [idParam],
        requestBody: json(ref('CommitRequest')),
        responses: {
          '200': { description: 'committing or committed', ...json(ref('Transaction')) },
          '409': error('transaction-rolled-back (details.transaction) / duplicate-gid / transaction-decided'),
          ...common,
        },
      },
    },
    '/v1/transactions/{id}/rollback': {
      post: {
        summary: 'Roll back with a reason',
        parameters: [idParam],
        requestBody: json(ref('RollbackRequest')),
        responses: {
          '200': { description: 'rolling back or rolled back', ...json(ref('Transaction')) },
          '409': error('transaction-committed / duplicate-gid'),
          ...common,
        },
      },
    },
    '/v1/outcomes': {
      post: {
        summary: 'Acknowledge finished branches by gid, many at once',
        requestBody: json(ref('OutcomeBatchRequest')),
        responses: {
          '200': { description: 'recorded and rejected', ...json(ref('OutcomeBatchResponse')) },
          '400': error('invalid-request'),
          '503': error('retry'),
        },
      },
    },
    ...consolePaths(),
    '/transactions': {
      post: {
        summary: 'Spring sample: begin (status NEW)',
        requestBody: json(ref('CompatTransaction')),
        responses: { '200': { description: 'begun', ...json(ref('CompatTransaction')) }, ...common },
      },
      get: {
        summary: 'Spring sample shape: transactions, newest first, a page at a time',
        parameters: pageParams,
        responses: { '200': { description: 'a page', ...json(ref('CompatTransactionList')) }, ...common },
      },
    },
    '/transactions/{id}': {
      get: {
        summary: 'Spring sample: one transaction',
        parameters: [idParam],
        responses: { '200': { description: 'found', ...json(ref('CompatTransaction')) }, ...common },
      },
    },
    '/transactions/{id}/participants': {
      put: {
        summary: 'Spring sample: add a participant',
        parameters: [idParam],
        requestBody: json(ref('CompatParticipant')),
        responses: {
          '200': { description: 'added', ...json(ref('CompatTransaction')) },
          '409': error('transaction-decided'),
          ...common,
        },
      },
    },
    '/transactions/{id}/finish/{status}': {
      put: {
        summary: 'Spring sample: finish CONFIRMED (commit) or ROLLBACK/TO_ROLLBACK',
        parameters: [idParam, compatStatusParam],
        responses: { '200': { description: 'the outcome', ...json(ref('CompatTransaction')) }, ...common },
      },
    },
    '/transactions/{id}/participants/{serviceId}/status/{status}': {
      put: {
        summary: "Spring sample: a participant's vote (while NEW) or acknowledgement",
        parameters: [
          idParam,
          { name: 'serviceId', in: 'path', required: true, schema: { type: 'string' } },
          compatStatusParam,
        ],
        responses: {
          '200': { description: 'updated', ...json(ref('CompatTransaction')) },
          '409': error('transaction-decided / outcome-mismatch'),
          ...common,
        },
      },
    },
    '/health/live': { get: { summary: 'Process is up', responses: { '200': { description: 'up' } } } },
    '/health/ready': {
      get: {
        summary: 'Database and broker reachable',
        responses: {
          '200': { description: 'ready' },
          '503': { description: '{ status, checks: { database, broker } }' },
        },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
    },
  },
  components: { schemas: openApiSchemas },
} as const;

/** The operator's console API (docs/console.md): operator token only, 401 / 403 otherwise. */
function consolePaths() {
  const operatorOnly = { '401': error('unauthenticated'), '403': error('forbidden: not the operator') };
  const item = { type: 'object', description: 'a transaction as the console lists it (docs/console.md)' };
  const detail = { type: 'object', description: 'one transaction with its timeline (docs/console.md)' };
  const action = (summary: string, refusals: string) => ({
    post: {
      summary,
      parameters: [idParam],
      responses: {
        '200': { description: 'done (audit-logged); the detail after it', ...json(detail) },
        '409': error(refusals),
        ...operatorOnly,
        ...common,
      },
    },
  });
  return {
    '/v1/console/transactions': {
      get: {
        summary: "Console: transactions, newest first, with why each is stuck (the operator's)",
        parameters: [
          { name: 'status', in: 'query', schema: { enum: TRANSACTION_STATUSES } },
          { name: 'service', in: 'query', schema: { type: 'string' } },
          { name: 'olderThanS', in: 'query', schema: { type: 'integer', minimum: 1 } },
          {
            name: 'q',
            in: 'query',
            description: 'a transaction id',
            schema: { type: 'string', format: 'uuid' },
          },
          {
            name: 'stuck',
            in: 'query',
            description: 'only stuck or in-doubt ones',
            schema: { type: 'boolean' },
          },
          ...pageParams,
        ],
        responses: {
          '200': {
            description: 'a page',
            ...json({ type: 'object', properties: { items: { type: 'array', items: item }, next: {} } }),
          },
          ...operatorOnly,
          ...common,
        },
      },
    },
    '/v1/console/transactions/{id}': {
      get: {
        summary: "Console: one transaction's timeline, branches and outbox messages",
        parameters: [idParam],
        responses: { '200': { description: 'found', ...json(detail) }, ...operatorOnly, ...common },
      },
    },
    '/v1/console/transactions/{id}/republish': action(
      'Console: re-publish the decision now',
      'not-awaiting-acknowledgement',
    ),
    '/v1/console/transactions/{id}/rollback': action(
      'Console: roll back an active transaction past its deadline',
      'not-active / not-past-deadline',
    ),
  };
}
