import type { OrderRecord } from '../domain/order-types';

/** The body of `201` and of the CONFIRMED answer of a repeated Idempotency-Key. */
export function confirmedBody(order: OrderRecord) {
  return {
    id: order.id,
    status: order.status,
    customerId: order.customerId,
    productId: order.productId,
    quantity: order.quantity,
    unitPrice: order.unitPrice,
    total: order.total,
    transactionId: order.transactionId,
  };
}

/** `GET /orders/...`: the order with its reason when REJECTED. */
export function orderView(order: OrderRecord) {
  return { ...confirmedBody(order), reason: order.reason, createdAt: order.createdAt };
}
