import { Router, type Request } from 'express';
import { z } from 'zod';
import { TRANSACTION_HEADER } from '@trx/protocol';
import type { Participant } from '@trx/participant';
import type { DataSource } from 'typeorm';
import { getProduct, listProducts, reserve } from '../domain/reserve-stock';
import { InvalidRequestError } from '../domain/product-errors';
import { productStore } from '../data-access/product-repository';

const id = z.coerce.number().int().positive().max(2_147_483_647);
const reservationBody = z.object({ quantity: z.number().int().positive().max(1_000_000) });

/**
 * The product API. `POST /products/:id/reservations` is a branch of the transaction named
 * by `x-transaction-id` when the header is present, a plain local commit otherwise.
 */
export function productRoutes(dataSource: DataSource, participant: Participant): Router {
  const router = Router();

  router.get('/products', async (_req, res) => {
    res.json(await listProducts(productStore(dataSource.manager)));
  });

  router.get('/products/:id', async (req, res) => {
    const productId = parse(id, req.params.id, 'product id must be a positive integer');
    res.json(await getProduct(productStore(dataSource.manager), productId));
  });

  router.post('/products/:id/reservations', async (req, res) => {
    const productId = parse(id, req.params.id, 'product id must be a positive integer');
    const { quantity } = parse(reservationBody, req.body, 'body must be {"quantity": positive integer}');
    const transactionId = transactionIdOf(req);
    const result = await participant.run(transactionId, (manager) =>
      reserve(productStore(manager), productId, quantity, transactionId ?? null),
    );
    res.status(201).json(result);
  });

  return router;
}

function transactionIdOf(req: Request): string | undefined {
  const value = req.get(TRANSACTION_HEADER)?.trim();
  return value ? value : undefined;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new InvalidRequestError(message, details);
}
