import type { Request } from 'express';
import { z } from 'zod';
import { isUuid } from '@trx/protocol';
import { decodeCursor, InvalidRequestError, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '@trx/service-kit';
import type { PlaceOrderInput } from '../domain/order-types';

const MAX_INT = 2_147_483_647;
const id = z.number().int().positive().max(MAX_INT);

/** Strict, like the coordinator's bodies: an unknown field is refused, not dropped. */
export const orderRequestSchema = z
  .object({
    customerId: id,
    productId: id,
    quantity: z.number().int().positive().max(1_000_000),
  })
  .strict();

const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const customerIdSchema = z.coerce.number().int().positive().max(MAX_INT);

/** Parses POST /orders: body and Idempotency-Key. */
export function parseOrderRequest(req: Request): PlaceOrderInput {
  const body = orderRequestSchema.safeParse(req.body);
  if (!body.success) throw new InvalidRequestError('the order is not valid', issuesOf(body.error));
  const key = req.header('idempotency-key');
  if (key !== undefined) {
    const parsed = idempotencyKeySchema.safeParse(key);
    if (!parsed.success)
      throw new InvalidRequestError('invalid Idempotency-Key header', issuesOf(parsed.error));
  }
  return { ...body.data, idempotencyKey: key };
}

const listQuerySchema = z
  .object({
    customerId: z.unknown(),
    limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).optional(),
    cursor: z.string().min(1).max(400).optional(),
  })
  .strict();

/** GET /orders: customerId, `limit` (default 20, at most 100) and the `cursor` of the previous page. */
export function parseOrderListQuery(query: unknown): {
  customerId: number;
  limit: number;
  after?: { createdAt: string; id: string };
} {
  const parsed = listQuerySchema.safeParse(query);
  if (!parsed.success) throw new InvalidRequestError('the list query is not valid', issuesOf(parsed.error));
  const customerId = parseCustomerId(parsed.data.customerId);
  const limit = parsed.data.limit ?? PAGE_LIMIT_DEFAULT;
  if (parsed.data.cursor === undefined) return { customerId, limit };
  const [createdAt, id] = (decodeCursor(parsed.data.cursor, ['string', 'string']) ?? []) as string[];
  if (!createdAt || !id || !isUuid(id) || Number.isNaN(Date.parse(createdAt))) {
    throw new InvalidRequestError('cursor is not one this list gave out', [
      { path: 'cursor', message: 'pass the `next` of the previous page unchanged' },
    ]);
  }
  return { customerId, limit, after: { createdAt, id } };
}

export function parseCustomerId(raw: unknown): number {
  const parsed = customerIdSchema.safeParse(typeof raw === 'string' && raw.trim() !== '' ? raw : undefined);
  if (!parsed.success) {
    throw new InvalidRequestError(
      'query parameter customerId must be a positive integer',
      issuesOf(parsed.error),
    );
  }
  return parsed.data;
}

/**
 * The same order asked again: what an Idempotency-Key must not change. `variant` is the
 * flow's (OrderFlow.variant: null, or the fault a test mode injects).
 */
export function fingerprintOf(input: PlaceOrderInput, variant: string | null): string {
  return JSON.stringify([input.customerId, input.productId, input.quantity, variant]);
}

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}
