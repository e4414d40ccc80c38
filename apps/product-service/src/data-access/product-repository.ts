import type { EntityManager } from 'typeorm';
import type { ProductRecord, ProductStore } from '../domain/reserve-stock';
import { centsFromDecimal, decimalOf } from '@trx/service-kit';
import { ProductEntity, ReservationEntity } from './product-entities';

/** A ProductStore on one EntityManager: inside a branch, every statement is part of it. */
export function productStore(manager: EntityManager): ProductStore {
  return {
    async find(productId) {
      const row = await manager.findOneBy(ProductEntity, { id: productId });
      return row ? toRecord(row) : undefined;
    },

    async list() {
      return (await manager.find(ProductEntity, { order: { id: 'ASC' } })).map(toRecord);
    },

    async take(productId, quantity) {
      // One conditional statement: after waiting for the row lock Postgres re-checks
      // `stock >= $2` on the newest row, so concurrent reservations cannot oversell.
      const [rows] = (await manager.query(
        `UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2
         RETURNING id, name, stock, price`,
        [productId, quantity],
      )) as [ProductEntity[], number];
      const row = rows[0];
      return row ? toRecord(row) : undefined;
    },

    async recordReservation({ productId, quantity, unitPriceCents, transactionId }) {
      await manager.insert(ReservationEntity, {
        productId,
        quantity,
        unitPrice: decimalOf(unitPriceCents),
        transactionId,
      });
    },
  };
}

function toRecord(row: ProductEntity): ProductRecord {
  return { id: row.id, name: row.name, stock: row.stock, priceCents: centsFromDecimal(row.price) };
}
