import type { EnlistedBranch } from '@trx/protocol';
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
  /** Only set when fault injection is enabled; the flow fails at this step. */
  fault?: FaultPoint;
}

export const FAULT_POINTS = ['after-reservation', 'after-withdrawal', 'before-commit'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

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
  /** The prepared branch to enlist with the commit (absent without a transaction, or when the participant registered itself). */
  branch?: EnlistedBranch;
}

/** A withdrawal that went through, with its prepared branch like Reservation's. */
export interface Withdrawal {
  branch?: EnlistedBranch;
}

export interface Account {
  id: number;
  balance: number;
}
