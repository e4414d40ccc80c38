import {
  BRANCH_TRANSITIONS,
  TRANSACTION_TRANSITIONS,
  canTransition,
  type BranchStatus,
  type TransactionStatus,
} from '@trx/protocol';
import { updateBranchStatus, type StatusChange, updateTransactionStatus } from '../data-access';
import type { BranchRecord, Db, TransactionRecord } from '../data-access';
import { TransactionConflictError } from './errors';

/**
 * The one way a status changes: checked against the transition table, then written
 * conditionally on the status the caller read. Returns undefined when another writer
 * changed the row first (the caller re-reads and decides what that means).
 */
export async function transitionTransaction(
  db: Db,
  transaction: TransactionRecord,
  next: TransactionStatus,
  now: Date,
  change: StatusChange = {},
): Promise<TransactionRecord | undefined> {
  assertTransition('transaction', TRANSACTION_TRANSITIONS, transaction.status, next, transaction.id);
  return updateTransactionStatus(db, transaction.id, transaction.status, next, now, change);
}

export async function transitionBranch(
  db: Db,
  branch: BranchRecord,
  next: BranchStatus,
  now: Date,
  reason?: string | null,
): Promise<BranchRecord | undefined> {
  assertTransition('branch', BRANCH_TRANSITIONS, branch.status, next, branch.transactionId);
  return updateBranchStatus(db, branch.id, branch.status, next, now, reason);
}

function assertTransition<S extends string>(
  kind: string,
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
  transactionId: string,
): void {
  if (!canTransition(table, from, to)) {
    throw new TransactionConflictError(
      `invalid-${kind}-transition`,
      transactionId,
      from,
      `a ${kind} cannot go from ${from} to ${to}`,
    );
  }
}

export const FINAL_BRANCH_STATUSES: readonly BranchStatus[] = ['committed', 'rolled-back'];

export function isBranchFinal(status: BranchStatus): boolean {
  return FINAL_BRANCH_STATUSES.includes(status);
}
