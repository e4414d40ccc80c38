import type { Request, RequestHandler, Response } from 'express';
import { bearerToken, ServiceTokenVerifier, type Identity } from '@trx/auth';

/**
 * Reads `Authorization: Bearer <service token>` and remembers who sent it (`callerOf`). It
 * refuses nothing itself: each route says who may call it with `allowCallers`, so routes that
 * are public (health, metrics, the product catalogue) stay public.
 */
export function identifyCaller(verifier: ServiceTokenVerifier): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    const caller = token === undefined ? undefined : verifier.identify(token);
    res.locals.caller = caller;
    next();
  };
}

/** The identity `identifyCaller` found, if any. */
export function callerOf(res: Response): Identity | undefined {
  return res.locals.caller as Identity | undefined;
}

/**
 * Lets a request through only from one of `identities`: none (or an unknown token) is 401,
 * a known caller that is not among them is 403. Either way the route does not run, so it
 * changes nothing.
 */
export function allowCallers(...identities: Identity[]): RequestHandler {
  const allowed = new Set(identities);
  return (req, res, next) => {
    const caller = callerOf(res);
    if (caller === undefined) {
      refuseUnauthenticated(req, res);
      return;
    }
    if (!allowed.has(caller)) {
      res.status(403).json({
        error: 'forbidden',
        message: `${caller} may not ${req.method} ${req.baseUrl}${req.route?.path ?? req.path}`,
      });
      return;
    }
    next();
  };
}

/** Any caller with a trusted credential (each use case then checks what is its to touch); none is 401. */
export function requireCaller(): RequestHandler {
  return (req, res, next) => {
    if (callerOf(res) === undefined) refuseUnauthenticated(req, res);
    else next();
  };
}

/** 401 with the Bearer challenge; says whether a credential came and was not accepted. */
export function refuseUnauthenticated(req: Request, res: Response, reason?: string): void {
  const presented = req.headers.authorization !== undefined;
  res
    .status(401)
    .set('WWW-Authenticate', 'Bearer realm="trx"')
    .json({
      error: 'unauthenticated',
      message: reason ?? (presented ? 'the credential is not valid' : 'a bearer credential is required'),
    });
}
