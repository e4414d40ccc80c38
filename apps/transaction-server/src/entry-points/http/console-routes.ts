import path from 'node:path';
import express, { Router, type Response } from 'express';
import { allowCallers, callerOf } from '@trx/service-kit';
import type { CoordinatorContext } from '../../domain/context';
import { consoleDetail, consoleList, republishNow, rollBackExpiredNow } from '../../domain/console-use-cases';
import { consoleListQuerySchema, parse } from './schemas';

/** The identity of the operator's token (TRX_TRUSTED_CALLERS): the only caller of the console API. */
export const OPERATOR = 'operator';

/** The page, its script and its styles: checked-in files, the same in src and dist (../../../console). */
export const CONSOLE_DIR = path.resolve(__dirname, '../../../console');

/**
 * The operator's console: `/console` serves the page (static, no data, no credential needed),
 * `/v1/console/...` the data and actions it uses, for the operator's token only (401 without a
 * credential, 403 for a service's).
 */
export function consoleRoutes(ctx: CoordinatorContext): Router {
  const r = Router();
  r.get('/console', (req, res, next) => {
    // The page loads its files relative to itself: /console/ and /console/index.html alike.
    if (req.path === '/console' && !req.originalUrl.endsWith('/')) res.redirect(301, '/console/');
    else next();
  });
  r.use('/console', express.static(CONSOLE_DIR, { index: 'index.html', maxAge: 0 }));
  r.use('/v1/console', allowCallers(OPERATOR));
  r.get('/v1/console/transactions', async (req, res) => {
    res.json(await consoleList(ctx, parse(consoleListQuerySchema, req.query, 'query')));
  });
  r.get('/v1/console/transactions/:id', async (req, res) => {
    res.json(await consoleDetail(ctx, req.params.id));
  });
  r.post('/v1/console/transactions/:id/republish', async (req, res) => {
    res.json(await republishNow(ctx, operatorOf(res), req.params.id));
  });
  r.post('/v1/console/transactions/:id/rollback', async (req, res) => {
    res.json(await rollBackExpiredNow(ctx, operatorOf(res), req.params.id));
  });
  return r;
}

/** allowCallers ran first: the caller is the operator. */
const operatorOf = (res: Response): string => callerOf(res)!;
