import { uuidv7, type EnlistedBranch, type OrderConfirmedEvent } from '@trx/protocol';
/** The order as the domain sees it: plain records, money as JSON numbers (computed in cents). */
export type OrderStatus = 'CONFIRMED' | 'REJECTED';

export interface OrderRecord {
  id: string;
  status: OrderStatus;
  customerId: number;
  productId: number;
  quantity: number;
  unitPrice: number | null;
  total: number | null;
  transactionId: string | null;
  /** Why a REJECTED order was refused (an error code such as `insufficient-stock`). */
  reason: string | null;
  idempotencyKey: string | null;
  createdAt: string;
}

export interface PlaceOrderInput {
  customerId: number;
  productId: number;
  quantity: number;
  idempotencyKey?: string;
}

/** Money arrives as a JSON number with at most 2 decimals; arithmetic happens in integer cents. */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}

export interface Reservation {
  unitPrice: number;
  total: number;
  /** The prepared branch to enlist with the commit (absent when the participant registered itself). */
  branch?: EnlistedBranch;
}

/** A charge that went through: the account that paid, and the prepared branch like Reservation's. */
export interface Payment {
  accountId: number;
  branch?: EnlistedBranch;
}

/** The order.confirmed event of a confirmed order; its messageId is fresh (consumers deduplicate by it). */
export function orderConfirmedEvent(order: OrderRecord, now: Date): OrderConfirmedEvent {
  return {
    messageId: uuidv7(),
    type: 'order.confirmed',
    occurredAt: now.toISOString(),
    orderId: order.id,
    transactionId: order.transactionId!,
    customerId: order.customerId,
    productId: order.productId,
    quantity: order.quantity,
    unitPrice: order.unitPrice!,
    total: order.total!,
  };
}
