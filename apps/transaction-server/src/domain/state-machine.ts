/**
 * Every write of a transaction's or a branch's status goes through this file: a change is
 * checked against the transition tables of @trx/protocol, a new row against their entry
 * tables, and where SQL applies the rule itself (one statement for many rows, the
 * one-statement commit) it gets its statuses from those tables as parameters. One write
 * is elsewhere: the publisher's markAnnounced (data-access) ends a transaction whose every
 * branch acknowledged before its announcement, with the end statuses it reads from the same
 * transition table (sourcesOf).
 */
import {
  BRANCH_ENTRIES,
  BRANCH_STATUSES,
  BRANCH_TRANSITIONS,
  TRANSACTION_ENTRIES,
  TRANSACTION_TRANSITIONS,
  canEnter,
  canTransition,
  sourcesOf,
  type BranchStatus,
  type Outcome,
  type TransactionEntry,
  type TransactionStatus,
} from '@trx/protocol';
import {
  enlistBranches,
  finishTransactions,
  insertBranch,
  insertBranchIfActive,
  insertTransaction,
  updateBranchOutcomes,
  updateBranchStatus,
  updateTransactionStatus,
  type FinishChange,
  type NewBranch,
  type NewOutboxMessage,
  type OneStatementCommit,
  type OutcomeRow,
  type StatusChange,
} from '../data-access';
import type { BranchRecord, Db, TransactionRecord } from '../data-access';
import { ErrorCodes, TransactionConflictError } from './errors';

type Kind = 'transaction' | 'branch';
const ENTRY_REFUSED = {
  transaction: ErrorCodes.invalidTransactionEntry,
  branch: ErrorCodes.invalidBranchEntry,
} as const;
const TRANSITION_REFUSED = {
  transaction: ErrorCodes.invalidTransactionTransition,
  branch: ErrorCodes.invalidBranchTransition,
} as const;

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

/** A new transaction row (begin, implicit, tombstone), its status checked against the entry table. */
export async function createTransaction(
  db: Db,
  transaction: TransactionRecord,
  entry: TransactionEntry,
  outbox: NewOutboxMessage[],
): Promise<boolean> {
  assertEntry('transaction', TRANSACTION_ENTRIES, entry, transaction.status, transaction.id);
  return insertTransaction(db, transaction, outbox);
}

/** A registered branch (insertBranch), its status checked against the entry table. */
export async function createBranch(db: Db, branch: BranchRecord): Promise<BranchRecord | undefined> {
  assertEntry('branch', BRANCH_ENTRIES, 'registration', branch.status, branch.transactionId);
  return insertBranch(db, branch);
}

/** A registered branch in one statement if its transaction is active (insertBranchIfActive). */
export async function createBranchIfActive(
  db: Db,
  branch: BranchRecord,
  now: Date,
  maxBranches: number,
): Promise<BranchRecord | undefined> {
  assertEntry('branch', BRANCH_ENTRIES, 'registration', branch.status, branch.transactionId);
  return insertBranchIfActive(db, branch, now, maxBranches);
}

/** The status enlisted branches are inserted with (checked against the entry table when this module loads). */
export const ENLISTED_STATUS: BranchStatus = entered(BRANCH_ENTRIES, 'enlisted', 'prepared');

/** Enlisted branches whose gid is new, inserted with ENLISTED_STATUS; every branch of the transaction back. */
export async function createEnlistedBranches(
  db: Db,
  transactionId: string,
  branches: NewBranch[],
  now: Date,
): Promise<BranchRecord[]> {
  return enlistBranches(db, transactionId, branches, ENLISTED_STATUS, now);
}

/**
 * The one-statement commit's statuses, from the tables: a begun transaction moves from a
 * source of `committing`; one it creates enters committing (the implicit-commit entry); its
 * branches enter as enlisted. Passed to commitInOneStatement as they are (no object per call).
 */
export const ONE_STATEMENT_COMMIT: OneStatementCommit['statuses'] = {
  from: sourcesOf(TRANSACTION_TRANSITIONS, 'committing'),
  next: entered(TRANSACTION_ENTRIES, 'implicit-commit', 'committing'),
  branch: ENLISTED_STATUS,
};

/** `status`, if `entry` may create a row with it; a table that disagrees fails when the coordinator loads. */
function entered<E extends string, S extends string>(
  table: Readonly<Record<E, readonly S[]>>,
  entry: E,
  status: S,
): S {
  if (!canEnter(table, entry, status)) throw new Error(`the entry table has no ${status} for ${entry}`);
  return status;
}

function assertEntry<E extends string, S extends string>(
  kind: Kind,
  table: Readonly<Record<E, readonly S[]>>,
  entry: E,
  status: S,
  transactionId: string,
): void {
  if (!canEnter(table, entry, status)) {
    throw new TransactionConflictError(
      ENTRY_REFUSED[kind],
      transactionId,
      status,
      `a ${kind} cannot be created ${status} by ${entry}`,
    );
  }
}

function assertTransition<S extends string>(
  kind: Kind,
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
  transactionId: string,
): void {
  if (!canTransition(table, from, to)) {
    throw new TransactionConflictError(
      TRANSITION_REFUSED[kind],
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
