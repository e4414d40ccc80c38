import { Router } from 'express';
import { z } from 'zod';
import type { Participant } from '@trx/participant';
import { allowCallers, oneTripFor, parseRequest as parse } from '@trx/service-kit';
import type { DataSource } from 'typeorm';
import { getProduct, listProducts, reserve } from '../domain/reserve-stock';
import { productStore, takeStock } from '../data-access/product-repository';

const id = z.coerce.number().int().positive().max(2_147_483_647);
const reservationBody = z.object({ quantity: z.number().int().positive().max(1_000_000) }).strict();

/**
 * The product API. `POST /products/:id/reservations` is a branch of the transaction named
 * by `x-transaction-id` when the header is present (enlisted by the caller, with the gid
 * answered in `x-transaction-branch`, when it sends `x-transaction-enlist: initiator`),
 * a plain local commit otherwise. The catalogue is public; only the order-service and the
 * operator reserve stock.
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

  router.post('/products/:id/reservations', allowCallers('order-service', 'operator'), async (req, res) => {
    const productId = parse(id, req.params.id, 'product id must be a positive integer');
    const { quantity } = parse(reservationBody, req.body, 'body must be {"quantity": positive integer}');
    // The reservation is its branch's (or local commit's) whole work: one round trip.
    const take = takeStock(oneTripFor(participant, req, res));
    const result = await reserve(take, productStore(dataSource.manager), productId, quantity);
    res.status(201).json(result);
  });

  return router;
}
