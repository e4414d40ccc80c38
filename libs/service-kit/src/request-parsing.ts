import type { Request } from 'express';
import type { z } from 'zod';
import { TRANSACTION_HEADER } from '@trx/protocol';
import { InvalidRequestError } from './service-errors';

/**
 * The value a schema makes of a request part, or an InvalidRequestError (400) whose
 * details list each problem as `{ path, message }`.
 *
 * @example
 *   const accountId = parseRequest(id, req.params.id, 'account id must be a positive integer');
 */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new InvalidRequestError(message, details);
}

/** The transaction a request is a branch of (`x-transaction-id`), undefined for a plain local request. */
export function transactionIdOf(req: Request): string | undefined {
  const value = req.get(TRANSACTION_HEADER)?.trim();
  return value ? value : undefined;
}
