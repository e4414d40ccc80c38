import type { Logger } from '@trx/logging';
import { routingKeys, uuidv7, type Decision, type EnlistedBranch } from '@trx/protocol';
import { CoordinatorUnreachableError, TransactionRolledBackError, failureCode } from './order-errors';
import type { AccountGateway, OrderStore, ProductGateway, TransactionGateway } from './ports';
import {
  fromCents,
  orderConfirmedEvent,
  toCents,
  type OrderRecord,
  type PlaceOrderInput,
} from './order-types';

export interface PlaceOrderDeps {
  products: ProductGateway;
  accounts: AccountGateway;
  transactions: TransactionGateway;
  orders: OrderStore;
  logger: Logger;
  clock?: () => Date;
}

export type PlaceOrderResult =
  | { outcome: 'confirmed'; order: OrderRecord }
  | { outcome: 'failed'; order: OrderRecord; error: Error & { code?: string } };

/**
 * The place-order use case: mint the distributed transaction's id (a UUIDv7: no begin round
 * trip, the coordinator first hears of it at the commit), reserve the stock, charge the
 * price to the customer (one call: account-service picks the account), record the order as
 * this service's own branch, then ask the coordinator to commit —
 * enlisting every prepared branch the participants handed back, so no participant has to
 * register with the coordinator on the way, and handing over the order.confirmed event,
 * which the coordinator publishes only if it commits. Any failure before the commit rolls
 * the transaction back (enlisting what was prepared, so those branches hear the rollback at
 * once) and keeps the order as REJECTED with the reason.
 *
 * Throws CoordinatorUnreachableError when the coordinator can't be reached at commit (the
 * order's fate is the coordinator's, so no REJECTED row).
 */
export async function placeOrder(deps: PlaceOrderDeps, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  // The id carries the wall-clock time the coordinator measures the deadline from, whatever clock stamps the order.
  const transaction = { id: uuidv7() };
  const draft = newOrder(input, transaction.id, (deps.clock ?? (() => new Date()))());
  const log = deps.logger.child({ transactionId: transaction.id, orderId: draft.id });
  const enlisted: EnlistedBranch[] = [];
  let order = draft;
  try {
    order = await prepareBranches(deps, input, draft, enlisted);
  } catch (err) {
    return reject(deps, order, enlisted, err as Error, log);
  }
  try {
    const confirmed = {
      routingKey: routingKeys.orderConfirmed,
      body: orderConfirmedEvent(order, new Date()),
    };
    await deps.transactions.commit(transaction.id, enlisted, [confirmed]);
  } catch (err) {
    const name = (err as Error).name;
    // Answered with a rollback: decided already. Any other refusal: ask for the rollback.
    if (name !== CoordinatorUnreachableError.name)
      return reject(deps, order, enlisted, err as Error, log, name !== TransactionRolledBackError.name);
    log.warn({ err }, 'commit went unanswered; the order is decided by the coordinator');
    throw new CoordinatorUnreachableError((err as Error).message, {
      orderId: order.id,
      transactionId: transaction.id,
    });
  }
  await finishOwnBranch(deps, transaction.id, enlisted, 'commit', log);
  log.info({ outcome: 'confirmed', total: order.total }, 'order confirmed');
  return { outcome: 'confirmed', order };
}

/**
 * Every step up to the yes-vote of the order's own branch; resolves with the order to
 * commit. Each prepared branch is pushed to `enlisted` as soon as it exists, so a failure
 * later on still rolls it back by name.
 */
async function prepareBranches(
  deps: PlaceOrderDeps,
  input: PlaceOrderInput,
  draft: OrderRecord,
  enlisted: EnlistedBranch[],
): Promise<OrderRecord> {
  const transactionId = draft.transactionId!;
  const enlist = (branch: EnlistedBranch | undefined) => branch && enlisted.push(branch);
  const reservation = await deps.products.reserve(transactionId, input.productId, input.quantity);
  enlist(reservation.branch);
  const totalCents = toCents(reservation.unitPrice) * input.quantity;
  const priced = { ...draft, unitPrice: reservation.unitPrice, total: fromCents(totalCents) };
  enlist((await deps.accounts.charge(transactionId, input.customerId, priced.total)).branch);
  const confirmed: OrderRecord = { ...priced, status: 'CONFIRMED' };
  enlist(await deps.orders.recordInBranch(transactionId, confirmed));
  return confirmed;
}

/**
 * Rolls the transaction back and stores the REJECTED order. `askRollback` is false when the
 * coordinator already answered the commit with a rollback.
 */
async function reject(
  deps: PlaceOrderDeps,
  order: OrderRecord,
  enlisted: EnlistedBranch[],
  error: Error,
  log: Logger,
  askRollback = true,
): Promise<PlaceOrderResult> {
  const reason = failureCode(error);
  const level = reason === 'internal-error' ? 'error' : 'info';
  log[level]({ outcome: 'rejected', reason, err: error }, 'order rejected');
  const decided =
    !askRollback ||
    (await deps.transactions.rollback(order.transactionId!, reason, enlisted).then(
      () => true,
      (err: Error) => {
        // The coordinator's timeout rolls the transaction back anyway; the branches follow it.
        log.warn({ err }, 'rollback request failed; the transaction will time out');
        return false;
      },
    ));
  if (decided) await finishOwnBranch(deps, order.transactionId!, enlisted, 'rollback', log);
  const rejected: OrderRecord = { ...order, status: 'REJECTED', reason };
  await deps.orders.recordRejected(rejected);
  return { outcome: 'failed', order: rejected, error };
}

/**
 * The own branch is enlisted as finished by the caller: no decision message comes for it
 * unless it is still unacknowledged when the coordinator re-publishes (and recovery
 * asks about it too), so a failure here is only logged.
 */
async function finishOwnBranch(
  deps: PlaceOrderDeps,
  transactionId: string,
  enlisted: EnlistedBranch[],
  decision: Decision,
  log: Logger,
) {
  const own = enlisted.find((b) => b.finishedByCaller);
  if (!own) return;
  await deps.orders.finishOwnBranch(transactionId, own.gid, decision).catch((err: Error) => {
    log.warn({ err, decision }, 'own branch not finished now; the re-published decision or recovery will');
  });
}

export function newOrder(input: PlaceOrderInput, transactionId: string | null, now: Date): OrderRecord {
  return {
    id: uuidv7(),
    status: 'REJECTED',
    customerId: input.customerId,
    productId: input.productId,
    quantity: input.quantity,
    unitPrice: null,
    total: null,
    transactionId,
    reason: null,
    idempotencyKey: input.idempotencyKey ?? null,
    createdAt: now.toISOString(),
  };
}
