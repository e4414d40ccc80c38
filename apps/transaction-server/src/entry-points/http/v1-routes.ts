import { Router, type Response } from 'express';
import { parseGid } from '@trx/protocol';
import { callerOf, requireCaller } from '@trx/service-kit';
import type { CoordinatorContext } from '../../domain/context';
import { NotAllowedError } from '../../domain/errors';
import { begin, get, list, resolve } from '../../domain/transaction-use-cases';
import { commit, rollback } from '../../domain/decision-use-cases';
import { recordOutcome, registerBranch, vote } from '../../domain/branch-use-cases';
import { recordOutcomes } from '../../domain/outcome-use-cases';
import {
  beginSchema,
  commitSchema,
  listQuerySchema,
  outcomeBatchSchema,
  outcomeSchema,
  parse,
  registerBranchSchema,
  resolveSchema,
  rollbackSchema,
  voteSchema,
} from './schemas';

/** The authenticated caller (requireCaller ran first). */
const actorOf = (res: Response): string => callerOf(res)!;

/** A branch's gid must name the calling service: nobody registers or acknowledges for another. */
function assertOwnGids(actor: string, gids: string[]): void {
  const foreign = gids.find((gid) => parseGid(gid)?.service !== actor);
  if (foreign !== undefined) throw new NotAllowedError(actor, `${actor} may not act on branch ${foreign}`);
}

/**
 * `/v1/transactions...`: every route needs a service (or operator) credential; parse, call the
 * use case with the caller as actor, answer. Errors go to the error handler.
 */
export function v1Routes(ctx: CoordinatorContext): Router {
  const r = Router();
  r.use('/v1', requireCaller());
  r.post('/v1/transactions', async (req, res) => {
    res.status(201).json(await begin(ctx, actorOf(res), parse(beginSchema, req.body, 'begin request')));
  });
  r.get('/v1/transactions', async (req, res) => {
    res.json(await list(ctx, parse(listQuerySchema, req.query, 'query')));
  });
  r.get('/v1/transactions/:id', async (req, res) => {
    res.json(await get(ctx, req.params.id));
  });
  r.post('/v1/transactions/:id/branches', async (req, res) => {
    const request = parse(registerBranchSchema, req.body, 'branch');
    const actor = actorOf(res);
    if (request.service !== actor)
      throw new NotAllowedError(actor, `${actor} may not register for ${request.service}`);
    assertOwnGids(actor, [request.gid]);
    const { branch, created } = await registerBranch(ctx, req.params.id, request);
    res.status(created ? 201 : 200).json(branch);
  });
  r.put('/v1/transactions/:id/branches/:branchId/vote', async (req, res) => {
    const request = parse(voteSchema, req.body, 'vote');
    res.json(await vote(ctx, actorOf(res), req.params.id, req.params.branchId, request));
  });
  r.put('/v1/transactions/:id/branches/:branchId/outcome', async (req, res) => {
    const request = parse(outcomeSchema, req.body, 'outcome');
    res.json(await recordOutcome(ctx, actorOf(res), req.params.id, req.params.branchId, request));
  });
  r.post('/v1/transactions/:id/commit', async (req, res) => {
    const { branches, events } = parse(commitSchema, req.body, 'commit request');
    res.json(await commit(ctx, actorOf(res), req.params.id, branches, 'all-prepared', events));
  });
  r.post('/v1/transactions/:id/resolve', async (req, res) => {
    const { gid } = parse(resolveSchema, req.body, 'resolve request');
    assertOwnGids(actorOf(res), [gid]);
    res.json(await resolve(ctx, req.params.id, gid));
  });
  r.post('/v1/transactions/:id/rollback', async (req, res) => {
    const { reason, branches } = parse(rollbackSchema, req.body, 'rollback request');
    res.json(await rollback(ctx, actorOf(res), req.params.id, reason, branches));
  });
  r.post('/v1/outcomes', async (req, res) => {
    const request = parse(outcomeBatchSchema, req.body, 'outcomes');
    assertOwnGids(
      actorOf(res),
      request.outcomes.map((o) => o.gid),
    );
    res.json(await recordOutcomes(ctx, request));
  });
  return r;
}
