import type { EntityManager } from 'typeorm';
import type { ProductRecord, ProductStore } from '../domain/reserve-stock';
import { centsFromDecimal } from '@trx/service-kit';

interface ProductRow {
  id: number;
  name: string;
  stock: number;
  price: string;
}

/**
 * A ProductStore on one EntityManager: inside a branch, every statement is part of it. Plain
 * SQL through `manager.query`: each method is one statement, and the query builder's work per
 * statement (aliasing, property-name rewriting, hydration) was a sizeable share of the CPU
 * of a reservation. The entities remain the schema's description.
 */
export function productStore(manager: EntityManager): ProductStore {
  return {
    async find(productId) {
      const rows = (await manager.query('SELECT id, name, stock, price FROM products WHERE id = $1', [
        productId,
      ])) as ProductRow[];
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async list() {
      const rows = (await manager.query(
        'SELECT id, name, stock, price FROM products ORDER BY id',
      )) as ProductRow[];
      return rows.map(toRecord);
    },

    async take({ productId, quantity, transactionId }) {
      // One round trip. The UPDATE is conditional: after waiting for the row lock Postgres
      // re-checks `stock >= $2` on the newest row, so concurrent reservations cannot oversell.
      // The reservation row is inserted only when the UPDATE took something, at the price it
      // read; a data-modifying CTE runs whether or not the final SELECT reads it.
      const rows = (await manager.query(
        `WITH taken AS (
           UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2
           RETURNING id, name, stock, price
         ), reserved AS (
           INSERT INTO reservations (product_id, quantity, unit_price, transaction_id)
           SELECT id, $2, price, $3::text FROM taken
         )
         SELECT id, name, stock, price FROM taken`,
        [productId, quantity, transactionId],
      )) as ProductRow[];
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
  };
}

function toRecord(row: ProductRow): ProductRecord {
  return { id: row.id, name: row.name, stock: row.stock, priceCents: centsFromDecimal(row.price) };
}
