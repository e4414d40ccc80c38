import type { Decision, TransactionView } from '@trx/protocol';
import type { Account, OrderRecord, Reservation } from './order-types';

/**
 * What the place-order use case needs from the outside world. Implementations live in
 * data-access/ (HTTP gateways, repositories) so the rules stay free of express and SQL.
 * Gateways throw the errors of ./order-errors.
 */
export interface ProductGateway {
  /** Without a transaction id the reservation commits locally at once (baseline mode). */
  reserve(transactionId: string | undefined, productId: number, quantity: number): Promise<Reservation>;
}

export interface AccountGateway {
  accountsOf(customerId: number): Promise<Account[]>;
  /** Resolves true when withdrawn, false when the account can't pay (insufficient funds). */
  withdraw(transactionId: string | undefined, accountId: number, amount: number): Promise<boolean>;
}

/** The coordinator as the initiator uses it. */
export interface TransactionGateway {
  begin(timeoutMs: number): Promise<TransactionView>;
  commit(transactionId: string): Promise<TransactionView>;
  rollback(transactionId: string, reason: string): Promise<void>;
}

export interface OrderStore {
  /** Inserts the CONFIRMED order and its order.confirmed outbox row as this service's branch (prepared, voted yes). */
  recordInBranch(transactionId: string, order: OrderRecord): Promise<void>;
  /** Applies a decision the coordinator answered to the order's own branch now (the decision consumer would, later). */
  finishOwnBranch(transactionId: string, decision: Decision): Promise<void>;
  /** The CONFIRMED order and its outbox row in a plain local transaction (baseline mode). */
  recordLocal(order: OrderRecord): Promise<void>;
  /** A plain local insert of the REJECTED order. */
  recordRejected(order: OrderRecord): Promise<void>;
}
