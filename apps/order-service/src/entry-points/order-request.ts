import type { Request } from 'express';
import { z } from 'zod';
import { FAULT_POINTS, type FaultPoint, type PlaceOrderInput } from '../domain/order-types';
import { InvalidRequestError } from './error-mapper';

const MAX_INT = 2_147_483_647;
const id = z.number().int().positive().max(MAX_INT);

export const orderRequestSchema = z.object({
  customerId: id,
  productId: id,
  quantity: z.number().int().positive().max(1_000_000),
});

const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const customerIdSchema = z.coerce.number().int().positive().max(MAX_INT);

/** Parses POST /orders: body, Idempotency-Key and (only when enabled) X-Fault-Inject. */
export function parseOrderRequest(req: Request, faultInjection: boolean): PlaceOrderInput {
  const body = orderRequestSchema.safeParse(req.body);
  if (!body.success) throw new InvalidRequestError('the order is not valid', issuesOf(body.error));
  const key = req.header('idempotency-key');
  if (key !== undefined) {
    const parsed = idempotencyKeySchema.safeParse(key);
    if (!parsed.success)
      throw new InvalidRequestError('invalid Idempotency-Key header', issuesOf(parsed.error));
  }
  return { ...body.data, idempotencyKey: key, fault: faultInjection ? parseFault(req) : undefined };
}

function parseFault(req: Request): FaultPoint | undefined {
  const fault = req.header('x-fault-inject');
  if (fault === undefined || fault === '') return undefined;
  if (!(FAULT_POINTS as readonly string[]).includes(fault)) {
    throw new InvalidRequestError(`unknown X-Fault-Inject value "${fault.slice(0, 40)}"`, {
      allowed: FAULT_POINTS,
    });
  }
  return fault as FaultPoint;
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

/** The same order asked again: what an Idempotency-Key must not change. */
export function fingerprintOf(input: PlaceOrderInput): string {
  return JSON.stringify([input.customerId, input.productId, input.quantity, input.fault ?? null]);
}

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}
