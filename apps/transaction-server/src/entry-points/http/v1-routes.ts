import { Router } from 'express';
import type { CoordinatorContext } from '../../domain/context';
import { begin, get, list } from '../../domain/transaction-use-cases';
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
  rollbackSchema,
  voteSchema,
} from './schemas';

/** `/v1/transactions...`: parse, call the use case, answer. Errors go to the error handler. */
export function v1Routes(ctx: CoordinatorContext): Router {
  const r = Router();
  r.post('/v1/transactions', async (req, res) => {
    res.status(201).json(await begin(ctx, parse(beginSchema, req.body, 'begin request')));
  });
  r.get('/v1/transactions', async (req, res) => {
    res.json(await list(ctx, parse(listQuerySchema, req.query, 'query')));
  });
  r.get('/v1/transactions/:id', async (req, res) => {
    res.json(await get(ctx, req.params.id));
  });
  r.post('/v1/transactions/:id/branches', async (req, res) => {
    const { branch, created } = await registerBranch(
      ctx,
      req.params.id,
      parse(registerBranchSchema, req.body, 'branch'),
    );
    res.status(created ? 201 : 200).json(branch);
  });
  r.put('/v1/transactions/:id/branches/:branchId/vote', async (req, res) => {
    res.json(await vote(ctx, req.params.id, req.params.branchId, parse(voteSchema, req.body, 'vote')));
  });
  r.put('/v1/transactions/:id/branches/:branchId/outcome', async (req, res) => {
    res.json(
      await recordOutcome(ctx, req.params.id, req.params.branchId, parse(outcomeSchema, req.body, 'outcome')),
    );
  });
  r.post('/v1/transactions/:id/commit', async (req, res) => {
    const { branches } = parse(commitSchema, req.body, 'commit request');
    res.json(await commit(ctx, req.params.id, branches));
  });
  r.post('/v1/transactions/:id/rollback', async (req, res) => {
    const { reason, branches } = parse(rollbackSchema, req.body, 'rollback request');
    res.json(await rollback(ctx, req.params.id, reason, branches));
  });
  r.post('/v1/outcomes', async (req, res) => {
    res.json(await recordOutcomes(ctx, parse(outcomeBatchSchema, req.body, 'outcomes')));
  });
  return r;
}
