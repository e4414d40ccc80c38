import { z } from 'zod';
import { MAX_COMMIT_EVENTS, parseGid, TRANSACTION_STATUSES } from '@trx/protocol';
import { InvalidRequestError } from '../../domain/errors';

/** Request bodies and queries, validated at the edge; failures become 400 invalid-request. */
const serviceName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes');

export const beginSchema = z
  .object({
    timeoutMs: z.number().int().min(1).optional(),
    initiator: z.string().min(1).max(200).optional(),
  })
  .strict();

export const registerBranchSchema = z
  .object({
    initiator: serviceName.optional(),
    service: serviceName,
    instance: z.string().min(1).max(200),
    gid: z.string().min(1).max(200),
    vote: z.enum(['yes', 'no']).optional(),
    reason: z.string().max(2000).optional(),
  })
  .strict();

export const voteSchema = z
  .object({ vote: z.enum(['yes', 'no']), reason: z.string().max(2000).optional() })
  .strict();

export const outcomeSchema = z.object({ outcome: z.enum(['committed', 'rolled-back']) }).strict();

/** Branches one commit or rollback may enlist, and acknowledgements one batch may carry. */
export const MAX_ENLISTED = 100;
export const MAX_OUTCOMES = 1000;

/** A prepared branch the initiator enlists: its gid is `trx:<service>:<transactionId>:<key>` of that service. */
const enlistedBranch = z
  .object({
    service: serviceName,
    gid: z.string().min(1).max(200),
    instance: z.string().min(1).max(200).optional(),
    finishedByCaller: z.boolean().optional(),
  })
  .strict()
  .refine((b) => parseGid(b.gid)?.service === b.service, {
    path: ['gid'],
    message: 'must be trx:<service>:<transactionId>:<key> of its service',
  });

const enlistedBranches = z
  .array(enlistedBranch)
  .max(MAX_ENLISTED)
  .refine((list) => new Set(list.map((b) => b.gid)).size === list.length, 'gids must be unique');

/** Bytes one event's body may take as JSON: an announcement, not a payload store. */
export const MAX_EVENT_BYTES = 16_384;

/** An event the initiator hands over with its commit (CommitEvent); whose it may be is the domain's rule. */
const commitEvent = z
  .object({
    routingKey: z
      .string()
      .max(200)
      .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'dot-separated lower-case words, at least two'),
    body: z
      .object({ messageId: z.string().uuid() })
      .passthrough()
      .refine((b) => JSON.stringify(b).length <= MAX_EVENT_BYTES, `at most ${MAX_EVENT_BYTES} bytes as JSON`),
  })
  .strict();

export const commitSchema = z
  .object({
    branches: enlistedBranches.optional(),
    events: z
      .array(commitEvent)
      .max(MAX_COMMIT_EVENTS)
      .refine(
        (list) => new Set(list.map((e) => e.body.messageId)).size === list.length,
        'messageIds must be unique',
      )
      .optional(),
  })
  .strict();

export const resolveSchema = z.object({ gid: z.string().min(1).max(200) }).strict();

export const rollbackSchema = z
  .object({ reason: z.string().max(2000).optional(), branches: enlistedBranches.optional() })
  .strict();

export const outcomeBatchSchema = z
  .object({
    outcomes: z
      .array(
        z
          .object({
            transactionId: z.string().min(1).max(100),
            gid: z.string().min(1).max(200),
            outcome: z.enum(['committed', 'rolled-back']),
          })
          .strict(),
      )
      .max(MAX_OUTCOMES),
  })
  .strict();

/** `limit` (default 20, at most 100) and the opaque `cursor` of a page. */
export const pageQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().min(1).max(400).optional(),
  })
  .strict();

export const listQuerySchema = pageQuerySchema.extend({
  status: z.enum(TRANSACTION_STATUSES).optional(),
});

/** The console's list: the list's filters plus a service, an age and a search. */
export const consoleListQuerySchema = listQuerySchema.extend({
  service: serviceName.optional(),
  olderThanS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 24 * 3600)
    .optional(),
  // The search is by transaction id: anything that can't be one is a mistake, said as such.
  q: z.string().uuid('q must be a transaction id').optional(),
  stuck: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

/** Parses or throws InvalidRequestError carrying zod's issues as details. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new InvalidRequestError(
    `invalid ${what}: ${details.map((d) => `${d.path || '(body)'} ${d.message}`).join('; ')}`,
    details,
  );
}
