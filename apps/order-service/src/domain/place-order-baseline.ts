import type { Logger } from '@trx/logging';
import { failureCode } from './order-errors';
import { fromCents, toCents, type OrderRecord, type PlaceOrderInput } from './order-types';
import type { AccountGateway, OrderStore, ProductGateway } from './ports';
import { newOrder, pay, type PlaceOrderResult } from './place-order';

export interface PlaceOrderBaselineDeps {
  products: ProductGateway;
  accounts: AccountGateway;
  orders: OrderStore;
  logger: Logger;
  clock?: () => Date;
}

/**
 * The benchmark's baseline: the same HTTP calls and the same writes as placeOrder, but no
 * coordinator and no prepared transactions — every service commits its write locally at
 * once. It is NOT atomic: a refusal after the reservation leaves the reservation committed.
 * It exists so `npm run bench` can show what the coordination costs; it is only reachable
 * when ORDER_BASELINE_MODE=true.
 */
export async function placeOrderBaseline(
  deps: PlaceOrderBaselineDeps,
  input: PlaceOrderInput,
): Promise<PlaceOrderResult> {
  const draft = newOrder(input, null, (deps.clock ?? (() => new Date()))());
  try {
    const reservation = await deps.products.reserve(undefined, input.productId, input.quantity);
    const total = fromCents(toCents(reservation.unitPrice) * input.quantity);
    await pay(deps.accounts, undefined, input.customerId, total);
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
