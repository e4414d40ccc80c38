import { Router } from 'express';
import type { CoordinatorContext } from '../domain/context';
import { pageQuerySchema, parse } from '../entry-points/http/schemas';
import {
  compatAddParticipant,
  compatCreate,
  compatFinish,
  compatGet,
  compatList,
  compatSetParticipantStatus,
} from './compat-use-cases';
import { compatCreateSchema, compatParticipantSchema, compatStatusSchema } from './compat-schemas';

/** The Spring sample's `/transactions` API, for its unchanged clients (docs/api.md lists the differences). */
export function compatRoutes(ctx: CoordinatorContext): Router {
  const r = Router();
  r.post('/transactions', async (req, res) => {
    const body = parse(compatCreateSchema, req.body, 'transaction');
    res.json(await compatCreate(ctx, body.participants ?? []));
  });
  r.get('/transactions', async (req, res) => {
    res.json(await compatList(ctx, parse(pageQuerySchema, req.query, 'query')));
  });
  r.get('/transactions/:id', async (req, res) => {
    res.json(await compatGet(ctx, req.params.id));
  });
  r.put('/transactions/:id/participants', async (req, res) => {
    res.json(
      await compatAddParticipant(ctx, req.params.id, parse(compatParticipantSchema, req.body, 'participant')),
    );
  });
  r.put('/transactions/:id/finish/:status', async (req, res) => {
    res.json(await compatFinish(ctx, req.params.id, parse(compatStatusSchema, req.params.status, 'status')));
  });
  r.put('/transactions/:id/participants/:serviceId/status/:status', async (req, res) => {
    const status = parse(compatStatusSchema, req.params.status, 'status');
    res.json(await compatSetParticipantStatus(ctx, req.params.id, req.params.serviceId, status));
  });
  return r;
}
