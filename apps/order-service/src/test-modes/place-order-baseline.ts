import type { Logger } from '@trx/logging';
import { failureCode } from '../domain/order-errors';
import {
  fromCents,
  toCents,
  type OrderRecord,
  type Payment,
  type PlaceOrderInput,
  type Reservation,
} from '../domain/order-types';
import type { OrderStore } from '../domain/ports';
import { newOrder, type PlaceOrderResult } from '../domain/place-order';

/** The gateways and store without a transaction: each write commits locally at once. */
export interface PlaceOrderBaselineDeps {
  products: {
    reserve(transactionId: undefined, productId: number, quantity: number): Promise<Reservation>;
  };
  accounts: {
    charge(transactionId: undefined, customerId: number, amount: number): Promise<Payment>;
  };
  orders: Pick<OrderStore, 'recordRejected'> & {
    /** The CONFIRMED order and its outbox row in a plain local transaction. */
    recordLocal(order: OrderRecord): Promise<void>;
  };
  logger: Logger;
  clock?: () => Date;
}

/**
 * The benchmark's baseline: the same HTTP calls and the same writes as placeOrder, but no
 * coordinator and no prepared transactions — every service commits its write locally at
 * once. It is NOT atomic: a refusal after the reservation leaves the reservation committed.
 * It exists so `npm run bench` can show what the coordination costs; it is only reachable
 * when ORDER_BASELINE_MODE=true (see order-flows.ts).
 */
export async function placeOrderBaseline(
  deps: PlaceOrderBaselineDeps,
  input: PlaceOrderInput,
): Promise<PlaceOrderResult> {
  const draft = newOrder(input, null, (deps.clock ?? (() => new Date()))());
  try {
    const reservation = await deps.products.reserve(undefined, input.productId, input.quantity);
    const total = fromCents(toCents(reservation.unitPrice) * input.quantity);
    await deps.accounts.charge(undefined, input.customerId, total);
    const order: OrderRecord = { ...draft, status: 'CONFIRMED', unitPrice: reservation.unitPrice, total };
    await deps.orders.recordLocal(order);
    return { outcome: 'confirmed', order };
  } catch (err) {
    const rejected: OrderRecord = { ...draft, status: 'REJECTED', reason: failureCode(err as Error) };
    deps.logger.info({ orderId: draft.id, reason: rejected.reason, mode: 'baseline' }, 'order rejected');
    await deps.orders.recordRejected(rejected);
    return { outcome: 'failed', order: rejected, error: err as Error };
  }
}
