import type { CommitEvent, Decision, TransactionStatus } from '@trx/protocol';
import {
  insertOutbox,
  type BranchRecord,
  type Db,
  type NewOutboxMessage,
  type TransactionRecord,
} from '../data-access';
import { commitEventMessage, lifecycleMessage, type Announcement } from './event-builder';
import type { ForeignParticipants } from './foreign-participants';
import { ErrorCodes, TransactionConflictError } from './errors';
import { isBranchFinal, transitionBranch, transitionTransaction } from './state-machine';

/** What a local transaction wrote that is to be published once it committed (CoordinatorContext.afterCommit). */
export interface Written {
  /** trx_outbox rows: the relay sends them. */
  outboxIds: string[];
  /** Decided rows the publisher announces (the row is its own outbox). */
  announcements: Announcement[];
}

export const NOTHING_WRITTEN: Written = { outboxIds: [], announcements: [] };

export interface DecisionResult extends Written {
  transaction: TransactionRecord;
  branches: BranchRecord[];
}

/**
 * Writes a decision for a transaction the caller holds FOR UPDATE, in one statement of the
 * caller's local transaction: nobody hears of a decision that is not durable. The row is its
 * own outbox (`announced` false): once the caller committed, the publisher sends the
 * decision to each service with branches to finish (not to those the caller finishes
 * itself) and the lifecycle event, and marks the row announced. A decision with nobody
 * left to tell ends the transaction at once, its event through the outbox. Branches of
 * `foreign` participants are settled with the decision, and its messages go with it.
 */
export async function writeDecision(
  db: Db,
  transaction: TransactionRecord,
  branches: BranchRecord[],
  decision: Decision,
  reason: string | null,
  now: Date,
  republishAfterMs: number,
  foreign: ForeignParticipants,
  options: { events?: CommitEvent[] | null } = {},
): Promise<DecisionResult> {
  const status: TransactionStatus = decision === 'commit' ? 'committing' : 'rolling-back';
  const events = decision === 'commit' ? (options.events ?? null) : null;
  const change = {
    decision,
    reason,
    decidedAt: now,
    nextRepublishAt: new Date(now.getTime() + republishAfterMs),
    events,
  };
  const settled = await settleForeignBranches(db, branches, decision, now, foreign);
  const pending = settled.filter((b) => !isBranchFinal(b.status));
  if (pending.length === 0) {
    // Nobody left to acknowledge (no branches, or only foreign ones): decided and ended at once.
    const decided = await transition(db, transaction, status, now, change, []);
    const final = await finish(db, decided, settled, now, { event: true, foreign });
    // The initiator's events go with it, through the outbox like the lifecycle event.
    const extra = (events ?? []).map(commitEventMessage);
    await insertOutbox(db, extra);
    const outboxIds = [...final.outboxIds, ...extra.map((m) => m.id)];
    return { transaction: final.transaction, branches: settled, outboxIds, announcements: [] };
  }
  const decided = await transition(db, transaction, status, now, { ...change, announced: false }, []);
  return {
    transaction: decided,
    branches: settled,
    outboxIds: [],
    announcements: [
      { transaction: decided, branches: settled, messages: foreign.decisionMessages(decided, settled) },
    ],
  };
}

/**
 * Moves committing → committed / rolling-back → rolled-back once every branch acknowledged
 * and the decision was announced (until then the re-publish must still find the row).
 * `completionEvent`: a lifecycle event for the end too (TRX_LIFECYCLE_EVENTS=all).
 */
export async function finishIfAcknowledged(
  db: Db,
  transaction: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
  completionEvent: boolean,
): Promise<{ transaction: TransactionRecord; outboxIds: string[] }> {
  if (!branches.every((b) => isBranchFinal(b.status)) || !transaction.announced)
    return { transaction, outboxIds: [] };
  if (transaction.status !== 'committing' && transaction.status !== 'rolling-back') {
    return { transaction, outboxIds: [] };
  }
  return finish(db, transaction, branches, now, { event: completionEvent });
}

/**
 * The end of a decided transaction, with its lifecycle event when asked, in one statement.
 * `foreign`: at a decision that ends at once, whose decision messages go with it (foreign
 * participants hear the decision from them, sent once).
 */
export async function finish(
  db: Db,
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
  announce: { event: boolean; foreign?: ForeignParticipants },
): Promise<{ transaction: TransactionRecord; outboxIds: string[] }> {
  const next = finalStatus(t.status);
  const expected = { ...t, status: next, nextRepublishAt: null, updatedAt: now };
  const messages = announce.event ? [lifecycleMessage(expected, branches, now)] : [];
  if (announce.foreign) messages.push(...announce.foreign.decisionMessages(expected, branches));
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
    throw new TransactionConflictError(ErrorCodes.concurrentDecision, t.id, t.status, 'decided concurrently');
  return done;
}

/** Foreign participants learn the outcome from their own event and never acknowledge: their branches end with the decision. */
async function settleForeignBranches(
  db: Db,
  branches: BranchRecord[],
  decision: Decision,
  now: Date,
  foreign: ForeignParticipants,
): Promise<BranchRecord[]> {
  const result: BranchRecord[] = [];
  for (let b of branches) {
    if (foreign.settledByDecision(b) && !isBranchFinal(b.status)) {
      if (decision === 'commit' && b.status === 'registered')
        b = (await transitionBranch(db, b, 'prepared', now)) ?? b;
      b = (await transitionBranch(db, b, decision === 'commit' ? 'committed' : 'rolled-back', now)) ?? b;
    }
    result.push(b);
  }
  return result;
}
