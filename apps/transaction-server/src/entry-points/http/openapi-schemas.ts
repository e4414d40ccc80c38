import { BRANCH_STATUSES, TRANSACTION_STATUSES } from '@trx/protocol';
import { COMPAT_STATUSES } from '../../compat/compat-mapping';

/** The bodies of the API as JSON Schema (OpenAPI 3.1 components). */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export const openApiSchemas = {
  Error: {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string' },
      message: { type: 'string' },
      status: { type: 'string' },
      details: {},
      retryable: { type: 'boolean' },
    },
  },
  BeginRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { timeoutMs: { type: 'integer', minimum: 1 }, initiator: { type: 'string' } },
  },
  RegisterBranchRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['service', 'instance', 'gid'],
    properties: {
      service: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
      instance: { type: 'string' },
      gid: { type: 'string', maxLength: 200 },
      vote: { enum: ['yes', 'no'] },
      reason: { type: 'string' },
      initiator: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description: 'who initiated a transaction nobody began (x-transaction-initiator)',
      },
    },
  },
  VoteRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['vote'],
    properties: { vote: { enum: ['yes', 'no'] }, reason: { type: 'string' } },
  },
  OutcomeRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['outcome'],
    properties: { outcome: { enum: ['committed', 'rolled-back'] } },
  },
  EnlistedBranch: {
    type: 'object',
    additionalProperties: false,
    required: ['service', 'gid'],
    properties: {
      service: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
      gid: { type: 'string', maxLength: 200, description: 'trx:<service>:<transactionId>:<key>' },
      instance: { type: 'string' },
      finishedByCaller: { type: 'boolean' },
    },
  },
  CommitEvent: {
    type: 'object',
    additionalProperties: false,
    required: ['routingKey', 'body'],
    description:
      "published by the coordinator with a COMMIT decision only; the routing key's first word is the initiator's",
    properties: {
      routingKey: { type: 'string', maxLength: 200, pattern: '^[a-z0-9-]+(\\.[a-z0-9-]+)+$' },
      body: {
        type: 'object',
        required: ['messageId'],
        properties: { messageId: { type: 'string', format: 'uuid' } },
        description: 'any JSON object of at most 16 kB; messageId becomes the AMQP message_id',
      },
    },
  },
  CommitRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      branches: { type: 'array', maxItems: 100, items: ref('EnlistedBranch') },
      events: { type: 'array', maxItems: 8, items: ref('CommitEvent') },
    },
  },
  ResolveRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['gid'],
    properties: {
      gid: { type: 'string', maxLength: 200, description: "a branch of the caller's in this transaction" },
    },
  },
  RollbackRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      reason: { type: 'string' },
      branches: { type: 'array', maxItems: 100, items: ref('EnlistedBranch') },
    },
  },
  OutcomeBatchRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['outcomes'],
    properties: {
      outcomes: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['transactionId', 'gid', 'outcome'],
          properties: {
            transactionId: { type: 'string', format: 'uuid' },
            gid: { type: 'string' },
            outcome: { enum: ['committed', 'rolled-back'] },
          },
        },
      },
    },
  },
  OutcomeBatchResponse: {
    type: 'object',
    properties: {
      recorded: { type: 'integer' },
      rejected: {
        type: 'array',
        items: { type: 'object', properties: { gid: { type: 'string' }, error: { type: 'string' } } },
      },
    },
  },
  Branch: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      transactionId: { type: 'string' },
      service: { type: 'string' },
      instance: { type: 'string' },
      gid: { type: 'string' },
      status: { enum: BRANCH_STATUSES },
      reason: { type: ['string', 'null'] },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      finishedByCaller: { type: 'boolean', description: 'present (true) only when set' },
    },
  },
  Transaction: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { enum: TRANSACTION_STATUSES },
      decision: { enum: ['commit', 'rollback', null] },
      reason: { type: ['string', 'null'] },
      timeoutMs: { type: 'integer' },
      deadline: { type: 'string', format: 'date-time' },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      branches: { type: 'array', items: ref('Branch') },
      inDoubtSince: {
        type: 'string',
        format: 'date-time',
        description: 'present once the decision was re-published the most times, still unacknowledged',
      },
    },
  },
  TransactionList: {
    type: 'object',
    required: ['items', 'next'],
    properties: {
      items: { type: 'array', items: ref('Transaction') },
      next: { type: ['string', 'null'], description: 'cursor of the next page; null on the last' },
    },
  },
  CompatTransactionList: {
    type: 'object',
    required: ['items', 'next'],
    properties: {
      items: { type: 'array', items: ref('CompatTransaction') },
      next: { type: ['string', 'null'], description: 'cursor of the next page; null on the last' },
    },
  },
  CompatStatus: { enum: COMPAT_STATUSES },
  CompatParticipant: {
    type: 'object',
    required: ['serviceId'],
    properties: { serviceId: { type: 'string' }, status: ref('CompatStatus') },
  },
  CompatTransaction: {
    type: 'object',
    properties: {
      id: { type: ['string', 'null'] },
      status: ref('CompatStatus'),
      participants: { type: 'array', items: ref('CompatParticipant') },
    },
  },
} as const;
