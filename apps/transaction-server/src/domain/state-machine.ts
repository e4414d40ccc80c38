import {
  BRANCH_STATUSES,
  BRANCH_TRANSITIONS,
  TRANSACTION_TRANSITIONS,
  canTransition,
  type BranchStatus,
  type Outcome,
  type TransactionStatus,
} from '@trx/protocol';
import {
  finishTransactions,
  updateBranchOutcomes,
  updateBranchStatus,
  updateTransactionStatus,
  type FinishChange,
  type NewOutboxMessage,
  type OutcomeRow,
  type StatusChange,
} from '../data-access';
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
  outbox: NewOutboxMessage[] = [],
): Promise<TransactionRecord | undefined> {
  assertTransition('transaction', TRANSACTION_TRANSITIONS, transaction.status, next, transaction.id);
  return updateTransactionStatus(db, transaction.id, transaction.status, next, now, change, outbox);
}

/** Several transactions at once (acknowledgement batches), each checked and written as above. */
export async function transitionTransactions(
  db: Db,
  changes: FinishChange[],
  now: Date,
): Promise<TransactionRecord[]> {
  for (const c of changes) assertTransition('transaction', TRANSACTION_TRANSITIONS, c.expected, c.next, c.id);
  return finishTransactions(db, changes, now);
}

/** The statuses a branch may hold to move to each outcome, read from the transition table. */
const OUTCOME_SOURCES: Record<Outcome, readonly BranchStatus[]> = {
  committed: BRANCH_STATUSES.filter((s) => canTransition(BRANCH_TRANSITIONS, s, 'committed')),
  'rolled-back': BRANCH_STATUSES.filter((s) => canTransition(BRANCH_TRANSITIONS, s, 'rolled-back')),
};

/**
 * Acknowledged outcomes by gid, written where the decision matches and the transition is
 * allowed; returns every branch of `transactionIds` as it is now.
 */
export async function transitionBranchesToOutcome(
  db: Db,
  outcomes: OutcomeRow[],
  transactionIds: string[],
  now: Date,
): Promise<BranchRecord[]> {
  return updateBranchOutcomes(db, outcomes, transactionIds, OUTCOME_SOURCES, now);
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
