import type { DataSource, EntityManager } from 'typeorm';
import { routingKeys, type Decision, type EnlistedBranch } from '@trx/protocol';
import type { OrderStore } from '../domain/ports';
import { isConnectionError } from '@trx/db';
import { isBranchRefused, isCoordinatorUnreachable, type BranchStatement } from '@trx/participant';
import {
  CoordinatorUnreachableError,
  DatabaseUnavailableError,
  ParticipantUnavailableError,
  TransactionRolledBackError,
} from '../domain/order-errors';
import { orderConfirmedEvent, type OrderRecord, type OrderStatus } from '../domain/order-types';
import { SERVICE_NAME } from '../config';
import { OrderEntity } from './order-entities';

/**
 * What the repository needs of the participant runtime: run statements as this service's
 * branch (BEGIN, the statements and the branch's PREPARE in one round trip), or work locally.
 */
export interface BranchRunner {
  runStatementsAsBranch(
    transactionId: string,
    statements: readonly BranchStatement[],
    options: { enlistedByCaller: boolean; onPrepared(gid: string): void },
  ): Promise<unknown>;
  runLocal<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** COMMIT/ROLLBACK PREPARED of a branch this process prepared, then its acknowledgement. */
  finish(transactionId: string, gid: string, decision: Decision): Promise<unknown>;
}

/** Orders, and in baseline mode their order.confirmed outbox rows. */
export class OrderRepository implements OrderStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly branches: BranchRunner,
  ) {}

  /**
   * On commit, the order row and its order.confirmed outbox row become visible before the
   * 201, so a client can read its order at once; on rollback, the REJECTED row (same id)
   * need not wait for the branch's lock.
   */
  async finishOwnBranch(transactionId: string, gid: string, decision: Decision): Promise<void> {
    await this.branches.finish(transactionId, gid, decision);
  }

  /** The order row as this service's own branch, in one round trip (BEGIN, the row, PREPARE). */
  async recordInBranch(transactionId: string, order: OrderRecord): Promise<EnlistedBranch> {
    return runAsBranch(this.branches, transactionId, [insertOrder(order)]);
  }

  async recordLocal(order: OrderRecord): Promise<void> {
    await this.branches.runLocal((manager) => insertConfirmed(manager, order));
  }

  async recordRejected(order: OrderRecord): Promise<void> {
    await this.dataSource.getRepository(OrderEntity).insert(toEntity(order));
  }

  async findById(id: string): Promise<OrderRecord | undefined> {
    const row = await this.dataSource.getRepository(OrderEntity).findOneBy({ id });
    return row ? toRecord(row) : undefined;
  }

  /**
   * Up to `limit` orders of a customer, newest first (created_at, id), after `after` — a
   * keyset page on orders_customer_idx. A position whose order is gone still pages on from
   * its creation time.
   */
  async findByCustomer(
    customerId: number,
    limit: number,
    after?: { id: string; createdAt: string },
  ): Promise<OrderRecord[]> {
    const rows = await this.dataSource
      .getRepository(OrderEntity)
      .createQueryBuilder('o')
      .where('o.customer_id = :customerId', { customerId })
      .andWhere(
        `(CAST(:afterId AS uuid) IS NULL OR (o.created_at, o.id) <
          (COALESCE((SELECT created_at FROM orders WHERE id = CAST(:afterId AS uuid)), CAST(:afterAt AS timestamptz)),
           CAST(:afterId AS uuid)))`,
        { afterId: after?.id ?? null, afterAt: after?.createdAt ?? null },
      )
      .orderBy('o.created_at', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(limit)
      .getMany();
    return rows.map(toRecord);
  }

  /** The committed CONFIRMED order placed with an Idempotency-Key, if any. */
  async findConfirmedByKey(idempotencyKey: string): Promise<OrderRecord | undefined> {
    const row = await this.dataSource
      .getRepository(OrderEntity)
      .findOneBy({ idempotencyKey, status: 'CONFIRMED' });
    return row ? toRecord(row) : undefined;
  }
}

/**
 * Without a coordinator (baseline mode): the order row and its order.confirmed outbox row in
 * one local transaction, so the event exists iff the order does. With one, the event rides
 * on the commit instead (place-order.ts).
 */
async function insertConfirmed(manager: EntityManager, order: OrderRecord): Promise<void> {
  const event = orderConfirmedEvent(order, new Date());
  await manager.getRepository(OrderEntity).insert(toEntity(order));
  // The outbox row id is the event's message id, so a re-published event dedupes downstream.
  await manager.query('INSERT INTO outbox (id, routing_key, body, transaction_id) VALUES ($1, $2, $3, $4)', [
    event.messageId,
    routingKeys.orderConfirmed,
    JSON.stringify(event),
    order.transactionId,
  ]);
}

/**
 * Runs the order's branch, enlisted by this service itself (it is the initiator) and
 * finished by it; translates the participant runtime's refusals into domain errors.
 */
async function runAsBranch(
  branches: BranchRunner,
  transactionId: string,
  statements: readonly BranchStatement[],
): Promise<EnlistedBranch> {
  let gid: string | undefined;
  try {
    await branches.runStatementsAsBranch(transactionId, statements, {
      enlistedByCaller: true,
      onPrepared: (g) => (gid = g),
    });
    return { service: SERVICE_NAME, gid: gid!, finishedByCaller: true };
  } catch (err) {
    const e = err as Error & { retryable?: boolean };
    if (isBranchRefused(err)) throw new TransactionRolledBackError(e.message);
    // The vote may be unrecorded; no commit is asked, so the transaction can only roll back.
    if (isCoordinatorUnreachable(err)) throw new CoordinatorUnreachableError(e.message);
    if (isConnectionError(err)) throw new DatabaseUnavailableError(e.message);
    if (e.retryable === true) throw new ParticipantUnavailableError('order-service', e.message);
    throw err;
  }
}

/**
 * The columns of an order row and the entity fields they hold: every column of OrderEntity,
 * as TypeORM's insert writes them (no RETURNING: no column is generated).
 */
const ORDER_COLUMNS: readonly (readonly [string, keyof OrderEntity])[] = [
  ['id', 'id'],
  ['status', 'status'],
  ['customer_id', 'customerId'],
  ['product_id', 'productId'],
  ['quantity', 'quantity'],
  ['unit_price', 'unitPrice'],
  ['total', 'total'],
  ['transaction_id', 'transactionId'],
  ['reason', 'reason'],
  ['idempotency_key', 'idempotencyKey'],
  ['created_at', 'createdAt'],
];

const INSERT_ORDER = `INSERT INTO orders (${ORDER_COLUMNS.map(([column]) => column).join(', ')})
  VALUES (${ORDER_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/**
 * The order row's INSERT, written out because a branch of known statements takes no
 * EntityManager; its values are toEntity's, the ones TypeORM's insert sends.
 */
function insertOrder(order: OrderRecord): BranchStatement {
  const entity = toEntity(order);
  return { text: INSERT_ORDER, values: ORDER_COLUMNS.map(([, field]) => entity[field]) };
}

function toEntity(order: OrderRecord): OrderEntity {
  return {
    id: order.id,
    status: order.status,
    customerId: order.customerId,
    productId: order.productId,
    quantity: order.quantity,
    unitPrice: order.unitPrice === null ? null : order.unitPrice.toFixed(2),
    total: order.total === null ? null : order.total.toFixed(2),
    transactionId: order.transactionId,
    reason: order.reason,
    idempotencyKey: order.idempotencyKey,
    createdAt: new Date(order.createdAt),
  };
}

function toRecord(row: OrderEntity): OrderRecord {
  return {
    id: row.id,
    status: row.status as OrderStatus,
    customerId: row.customerId,
    productId: row.productId,
    quantity: row.quantity,
    unitPrice: row.unitPrice === null ? null : Number(row.unitPrice),
    total: row.total === null ? null : Number(row.total),
    transactionId: row.transactionId,
    reason: row.reason,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt.toISOString(),
  };
}
