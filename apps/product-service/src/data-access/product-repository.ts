import type { EntityManager } from 'typeorm';
import type { BranchStatement } from '@trx/participant';
import type { ProductRecord, ProductStore, TakeStock } from '../domain/reserve-stock';
import { centsFromDecimal, rowsUnlessRefused, type OneTrip } from '@trx/service-kit';

interface ProductRow {
  id: number;
  name: string;
  stock: number;
  price: string;
}

/**
 * A ProductStore on an EntityManager. Plain SQL through `manager.query`: each method is one
 * statement, and the query builder's work per statement (aliasing, property-name rewriting,
 * hydration) was a sizeable share of the CPU of a reservation. The entities remain the
 * schema's description.
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
  };
}

/**
 * TakeStock as one statement sent by `trip` (the request's branch or local commit, in one
 * round trip with its closing statements: see takeStatement).
 */
export function takeStock(trip: OneTrip): TakeStock {
  return async (reservation) => {
    const rows = await rowsUnlessRefused<ProductRow>(
      trip((transactionId) => [takeStatement({ ...reservation, transactionId })]),
    );
    return rows?.[0] ? toRecord(rows[0]) : undefined;
  };
}

/**
 * The reservation in one statement. The UPDATE is conditional: after waiting for the row lock
 * Postgres re-checks `stock >= $2` on the newest row, so concurrent reservations cannot
 * oversell. The reservation row is inserted only when the UPDATE took something, at the price
 * it read (a data-modifying CTE runs whether or not the final SELECT reads it). When nothing
 * was taken, `trx_expect` raises (SQLSTATE TRX02), so what is pipelined after the statement —
 * PREPARE TRANSACTION, or the commit — never runs: the one-row `counted` side of the join is
 * always there for it to be evaluated on.
 */
export function takeStatement(r: {
  productId: number;
  quantity: number;
  transactionId: string | null;
}): BranchStatement {
  return {
    text: `WITH taken AS (
             UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2
             RETURNING id, name, stock, price
           ), reserved AS (
             INSERT INTO reservations (product_id, quantity, unit_price, transaction_id)
             SELECT id, $2, price, $3::text FROM taken
           )
           SELECT taken.id, taken.name, taken.stock, taken.price
             FROM (SELECT count(*) AS n FROM taken) AS counted LEFT JOIN taken ON true
            WHERE trx_expect(counted.n > 0, 'nothing taken')`,
    values: [r.productId, r.quantity, r.transactionId],
  };
}

function toRecord(row: ProductRow): ProductRecord {
  return { id: row.id, name: row.name, stock: row.stock, priceCents: centsFromDecimal(row.price) };
}
