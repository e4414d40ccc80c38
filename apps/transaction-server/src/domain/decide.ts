import type { Decision } from '@trx/protocol';
import {
  insertOutbox,
  type BranchRecord,
  type Db,
  type NewOutboxMessage,
  type TransactionRecord,
} from '../data-access';
import { isCompatBranch } from './compat-mapping';
import { compatFinishedMessage, decisionMessages, lifecycleMessage } from './event-builder';
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
 * decision message per service and the lifecycle event, all in the caller's local
 * transaction — nobody hears of a decision that is not durable.
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
  const decided = await transitionTransaction(
    db,
    transaction,
    decision === 'commit' ? 'committing' : 'rolling-back',
    now,
    {
      decision,
      reason,
      decidedAt: now,
      nextRepublishAt: new Date(now.getTime() + republishAfterMs),
    },
  );
  if (!decided) {
    throw new TransactionConflictError(
      'concurrent-decision',
      transaction.id,
      transaction.status,
      'decided concurrently',
    );
  }
  const settled = await settleCompatBranches(db, branches, decision, now);
  const pending = settled.filter((b) => !isBranchFinal(b.status));
  const messages: NewOutboxMessage[] = decisionMessages(decided, pending, decision, now);
  // Nobody left to acknowledge (no branches, or only compat ones): the transaction ends now.
  const final = pending.length === 0 ? await finish(db, decided, now) : decided;
  messages.push(lifecycleMessage(final, settled, now));
  if (final.compat) messages.push(compatFinishedMessage(final, settled));
  await insertOutbox(db, messages);
  return { transaction: final, branches: settled, outboxIds: messages.map((m) => m.id) };
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
  const final = await finish(db, transaction, now);
  const messages = [lifecycleMessage(final, branches, now)];
  await insertOutbox(db, messages);
  return { transaction: final, outboxIds: messages.map((m) => m.id) };
}

async function finish(db: Db, t: TransactionRecord, now: Date): Promise<TransactionRecord> {
  const next = t.status === 'committing' ? 'committed' : 'rolled-back';
  const done = await transitionTransaction(db, t, next, now, { nextRepublishAt: null });
  if (!done)
    throw new TransactionConflictError('concurrent-decision', t.id, t.status, 'finished concurrently');
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
