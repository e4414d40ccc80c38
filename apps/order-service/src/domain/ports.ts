import type { CommitEvent, Decision, EnlistedBranch, TransactionView } from '@trx/protocol';
import type { OrderRecord, Payment, Reservation } from './order-types';

/**
 * What the place-order use case needs from the outside world. Implementations live in
 * data-access/ (HTTP gateways, repositories) so the rules stay free of express and SQL.
 * Gateways throw the errors of ./order-errors.
 */
export interface ProductGateway {
  /** Reserves the stock as a prepared branch of the transaction. */
  reserve(transactionId: string, productId: number, quantity: number): Promise<Reservation>;
}

export interface AccountGateway {
  /**
   * Charges the customer's first account (lowest id) whose balance covers `amount`, as a
   * prepared branch of the transaction: account-service chooses, debits and records in one
   * statement. Throws OrderRefusedError `insufficient-funds` when no account covers it,
   * `unknown-customer` when the customer has none.
   */
  charge(transactionId: string, customerId: number, amount: number): Promise<Payment>;
}

/**
 * The coordinator as the initiator uses it. There is no begin: the initiator mints the
 * transaction id (a UUIDv7) and the coordinator first hears of it at the commit or rollback.
 */
export interface TransactionGateway {
  /**
   * Commit, enlisting the prepared branches the participants handed back (their yes-votes);
   * `events` are published by the coordinator with the decision, only if it is commit.
   */
  commit(transactionId: string, branches: EnlistedBranch[], events: CommitEvent[]): Promise<TransactionView>;
  rollback(transactionId: string, reason: string, branches: EnlistedBranch[]): Promise<void>;
}

export interface OrderStore {
  /**
   * Inserts the CONFIRMED order as this service's own prepared branch; resolves with it, to
   * be enlisted as finished by the caller. Its order.confirmed event goes with the commit.
   */
  recordInBranch(transactionId: string, order: OrderRecord): Promise<EnlistedBranch>;
  /** Applies the decision the coordinator answered to the order's own branch, and acknowledges it. */
  finishOwnBranch(transactionId: string, gid: string, decision: Decision): Promise<void>;
  /** A plain local insert of the REJECTED order. */
  recordRejected(order: OrderRecord): Promise<void>;
}
