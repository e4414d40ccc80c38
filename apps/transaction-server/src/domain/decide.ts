import type { Decision, TransactionStatus } from '@trx/protocol';
import type { BranchRecord, Db, NewOutboxMessage, TransactionRecord } from '../data-access';
import { isCompatBranch } from './compat-mapping';
import {
  compatFinishedMessage,
  decisionMessages,
  lifecycleMessage,
  type AnnouncedTransaction,
} from './event-builder';
import { TransactionConflictError } from './errors';
import { isBranchFinal, transitionBranch, transitionTransaction } from './state-machine';

export interface DecisionResult {
  transaction: TransactionRecord;
  branches: BranchRecord[];
  /** Outbox rows written with the decision; the caller flushes them after COMMIT. */
  outboxIds: string[];
}

/**
 * Writes a decision for a transaction the caller holds FOR UPDATE: the status, the
 * decision message per service and the lifecycle event in one statement of the caller's
 * local transaction — nobody hears of a decision that is not durable. Branches the caller
 * finishes itself get no decision message now; the re-publish includes them if they stay
 * unacknowledged.
 */
export async function writeDecision(
  db: Db,
  transaction: TransactionRecord,
  branches: BranchRecord[],
  decision: Decision,
  reason: string | null,
  now: Date,
  republishAfterMs: number,
): Promise<DecisionResult> {
  const status: TransactionStatus = decision === 'commit' ? 'committing' : 'rolling-back';
  const change = {
    decision,
    reason,
    decidedAt: now,
    nextRepublishAt: new Date(now.getTime() + republishAfterMs),
  };
  const settled = await settleCompatBranches(db, branches, decision, now);
  const pending = settled.filter((b) => !isBranchFinal(b.status));
  if (pending.length === 0) {
    // Nobody left to acknowledge (no branches, or only compat ones): decided and ended at once.
    const decided = await transition(db, transaction, status, now, change, []);
    const final = await finish(db, decided, settled, now, transaction.compat);
    return { transaction: final.transaction, branches: settled, outboxIds: final.outboxIds };
  }
  const expected = { ...transaction, ...change, status, updatedAt: now };
  const messages = announceDecision(expected, settled, decision, now);
  if (transaction.compat) messages.push(compatFinishedMessage(expected, settled));
  const decided = await transition(db, transaction, status, now, change, messages);
  return { transaction: decided, branches: settled, outboxIds: messages.map((m) => m.id) };
}

/**
 * What a decision announces: a decision message per service with branches still to finish
 * (except the branches the caller finishes itself) and the lifecycle event.
 */
export function announceDecision(
  decided: AnnouncedTransaction,
  branches: BranchRecord[],
  decision: Decision,
  now: Date,
): NewOutboxMessage[] {
  const toPublish = branches.filter((b) => !isBranchFinal(b.status) && !b.finishedByCaller);
  return [...decisionMessages(decided, toPublish, decision, now), lifecycleMessage(decided, branches, now)];
}

/** Moves committing → committed / rolling-back → rolled-back once every branch acknowledged. */
export async function finishIfAcknowledged(
  db: Db,
  transaction: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
): Promise<{ transaction: TransactionRecord; outboxIds: string[] }> {
  if (!branches.every((b) => isBranchFinal(b.status))) return { transaction, outboxIds: [] };
  if (transaction.status !== 'committing' && transaction.status !== 'rolling-back') {
    return { transaction, outboxIds: [] };
  }
  return finish(db, transaction, branches, now);
}

/** The end of a decided transaction and its lifecycle event, in one statement. */
async function finish(
  db: Db,
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
  announceCompat = false,
): Promise<{ transaction: TransactionRecord; outboxIds: string[] }> {
  const next = finalStatus(t.status);
  const expected = { ...t, status: next, nextRepublishAt: null, updatedAt: now };
  const messages = [lifecycleMessage(expected, branches, now)];
  // The Spring sample's participants hear the decision from this event, sent once, with the decision.
  if (announceCompat) messages.push(compatFinishedMessage(expected, branches));
  const done = await transition(db, t, next, now, { nextRepublishAt: null }, messages);
  return { transaction: done, outboxIds: messages.map((m) => m.id) };
}

export function finalStatus(status: TransactionStatus): TransactionStatus {
  return status === 'committing' ? 'committed' : 'rolled-back';
}

async function transition(
  db: Db,
  t: TransactionRecord,
  next: TransactionStatus,
  now: Date,
  change: Parameters<typeof transitionTransaction>[4],
  messages: NewOutboxMessage[],
): Promise<TransactionRecord> {
  const done = await transitionTransaction(db, t, next, now, change, messages);
  if (!done)
    throw new TransactionConflictError('concurrent-decision', t.id, t.status, 'decided concurrently');
  return done;
}

/** Spring-sample participants learn the outcome from the compat event and never acknowledge. */
async function settleCompatBranches(
  db: Db,
  branches: BranchRecord[],
  decision: Decision,
  now: Date,
): Promise<BranchRecord[]> {
  const result: BranchRecord[] = [];
  for (let b of branches) {
    if (isCompatBranch(b) && !isBranchFinal(b.status)) {
      if (decision === 'commit' && b.status === 'registered')
        b = (await transitionBranch(db, b, 'prepared', now)) ?? b;
      b = (await transitionBranch(db, b, decision === 'commit' ? 'committed' : 'rolled-back', now)) ?? b;
    }
    result.push(b);
  }
  return result;
}
