import type { RequestHandler, Response } from 'express';
import { bearerToken, type CustomerVerifier } from '@trx/auth';
import { callerOf, refuseUnauthenticated } from '@trx/service-kit';

/** Who is asking: a customer (from their JWT) or the operator (their service token). */
export type Principal = { kind: 'customer'; customerId: number } | { kind: 'operator' };

export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  readonly code = 'forbidden';
  readonly retryable = false;
}

/**
 * Authenticates `/orders` callers: the operator's service token (as service-kit's
 * identifyCaller found it), or a customer's bearer JWT. No credential, or one that does not
 * verify, is 401 before the route runs.
 */
export function authenticateCustomer(customers: CustomerVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return refuseUnauthenticated(req, res);
    if (callerOf(res) === 'operator') {
      res.locals.principal = { kind: 'operator' } satisfies Principal;
      return next();
    }
    try {
      res.locals.principal = {
        kind: 'customer',
        customerId: await customers.verify(token),
      } satisfies Principal;
    } catch (err) {
      return refuseUnauthenticated(req, res, (err as Error).message);
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** A customer acts only for themselves; the operator reads for anyone but places no orders. */
export function assertActsFor(principal: Principal, customerId: number, action: 'order' | 'read'): void {
  if (principal.kind === 'operator' ? action === 'read' : principal.customerId === customerId) return;
  const who = principal.kind === 'operator' ? 'the operator' : `customer ${principal.customerId}`;
  throw new ForbiddenError(
    `${who} may not ${action === 'order' ? 'order' : 'read orders'} for customer ${customerId}`,
  );
}

/** May this principal see this customer's order? (Another's answers 404: its existence is not told.) */
export function maySee(principal: Principal, customerId: number): boolean {
  return principal.kind === 'operator' || principal.customerId === customerId;
}
