import {
  claimExpired,
  claimRepublishDue,
  findBranchesOf,
  inTransaction,
  insertOutbox,
  markAnnounced,
  markInDoubt,
  scheduleRepublish,
  type BranchRecord,
  type Db,
  type TransactionRecord,
} from '../data-access';
import type { CoordinatorContext } from './context';
import { finish, writeDecision, type Written } from './decide';
import { decisionBatches, decisionEntries, decisionEvents } from './event-builder';
import type { ForeignParticipants } from './foreign-participants';
import { isBranchFinal } from './state-machine';

export interface SweepResult {
  timedOut: number;
  republished: number;
  /** Transactions marked in-doubt this round (their last re-publish went unacknowledged). */
  inDoubt: number;
}

const BATCH = 100;

/**
 * The periodic work, safe with several replicas: rows are claimed FOR UPDATE SKIP LOCKED,
 * so each expired or unacknowledged transaction is handled by one replica per round.
 */
export async function sweepOnce(ctx: CoordinatorContext): Promise<SweepResult> {
  const timedOut = await rollBackExpired(ctx);
  const { republished, inDoubt } = await republishUnacknowledged(ctx);
  return { timedOut, republished, inDoubt };
}

async function rollBackExpired(ctx: CoordinatorContext): Promise<number> {
  const now = ctx.clock();
  const { count, written } = await inTransaction(ctx.pool, async (db) => {
    const expired = await claimExpired(db, now, BATCH);
    const branches = await findBranchesOf(
      db,
      expired.map((t) => t.id),
    );
    const all: Written = { outboxIds: [], announcements: [] };
    for (const t of expired) {
      const own = branches.filter((b) => b.transactionId === t.id);
      const one = await rollBackTimedOut(ctx, db, t, own, now);
      all.outboxIds.push(...one.outboxIds);
      all.announcements.push(...one.announcements);
    }
    return { count: expired.length, written: all };
  });
  ctx.afterCommit(written.outboxIds, written.announcements);
  return count;
}

/**
 * The timeout rollback of one active transaction past its deadline, which the caller holds
 * FOR UPDATE: the sweeper's, and the console's "roll back now". Returns what to publish after COMMIT.
 */
export async function rollBackTimedOut(
  ctx: CoordinatorContext,
  db: Db,
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
): Promise<Written> {
  const result = await writeDecision(
    db,
    t,
    branches,
    'rollback',
    'timeout',
    now,
    ctx.settings.republishAfterMs,
    ctx.foreign,
  );
  ctx.metrics.decided('rollback', 'timeout', (now.getTime() - t.createdAt.getTime()) / 1000);
  ctx.logger.info({ transactionId: t.id }, 'rolled back: timeout');
  return { outboxIds: result.outboxIds, announcements: result.announcements };
}

/**
 * Sends the decision again to the services whose branches have not acknowledged, with
 * doubling backoff, at most TRX_REPUBLISH_MAX_ATTEMPTS times; then the transaction is in-doubt.
 * A decision the publisher never announced (the coordinator died first) is announced here
 * too, and a transaction that was only waiting for that announcement ends.
 */
async function republishUnacknowledged(
  ctx: CoordinatorContext,
): Promise<{ republished: number; inDoubt: number }> {
  const now = ctx.clock();
  const { republished, inDoubt, outboxIds } = await inTransaction(ctx.pool, async (db) => {
    const due = await claimRepublishDue(db, now, BATCH);
    const branches = await findBranchesOf(
      db,
      due.map((t) => t.id),
    );
    const ids: string[] = [];
    let republished = 0;
    let inDoubt = 0;
    for (const t of due) {
      const own = branches.filter((b) => b.transactionId === t.id);
      const pending = unacknowledged(own, ctx.foreign);
      if (!t.announced) ids.push(...(await announceLate(db, t, own, now, ctx.foreign)));
      if (pending.length === 0) {
        // Every branch acknowledged while only the announcement was missing: out now, so it ends.
        const event = ctx.settings.lifecycleEvents === 'all';
        ids.push(...(await finish(db, t, own, now, { event })).outboxIds);
        continue;
      }
      if (t.republishCount >= ctx.settings.republishMaxAttempts) {
        await giveUp(ctx, db, t, pending, now);
        inDoubt++;
        continue;
      }
      ids.push(...(await republishDecision(ctx, db, t, pending, now, t.republishCount + 1)));
      republished++;
    }
    return { republished, inDoubt, outboxIds: ids };
  });
  ctx.afterCommit(outboxIds);
  // Counted once the re-publishes are committed: a rolled-back round sent nothing.
  if (republished > 0) ctx.metrics.republished(republished);
  return { republished, inDoubt };
}

/** Branches still to acknowledge a decision: not final, not foreign participants' (they never do). */
export function unacknowledged(branches: BranchRecord[], foreign: ForeignParticipants): BranchRecord[] {
  return branches.filter((b) => !isBranchFinal(b.status) && !foreign.settledByDecision(b));
}

/**
 * One re-publish of a decided transaction (held FOR UPDATE) to the services of `pending`,
 * with the next one scheduled after the backoff of `attempt`; it clears an in-doubt mark.
 * The sweeper's, and the console's "re-publish now" (attempt 0: the backoff starts over).
 */
export async function republishDecision(
  ctx: CoordinatorContext,
  db: Db,
  t: TransactionRecord,
  pending: BranchRecord[],
  now: Date,
  attempt: number,
): Promise<string[]> {
  const messages = decisionBatches(decisionEntries(t, pending), now);
  await insertOutbox(db, messages);
  await scheduleRepublish(db, t.id, nextRepublishAt(ctx, attempt - 1, now), attempt);
  ctx.logger.warn(
    {
      transactionId: t.id,
      decision: t.decision,
      services: messages.map((m) => m.routingKey),
      attempt,
    },
    're-publishing an unacknowledged decision',
  );
  return messages.map((m) => m.id);
}

/**
 * The last re-publish went unacknowledged too: stop, and mark the transaction in-doubt for an
 * operator. Nothing is guessed — the decision stands and a late acknowledgement still ends
 * it. The log line is the alert's hook: level error, `alert: "trx-transaction-in-doubt"`.
 */
async function giveUp(
  ctx: CoordinatorContext,
  db: Db,
  t: TransactionRecord,
  pending: BranchRecord[],
  now: Date,
): Promise<void> {
  await markInDoubt(db, t.id, now);
  ctx.metrics.inDoubt();
  ctx.logger.error(
    {
      alert: 'trx-transaction-in-doubt',
      transactionId: t.id,
      decision: t.decision,
      attempts: t.republishCount,
      decidedAt: t.decidedAt?.toISOString(),
      unacknowledged: pending.map((b) => ({ branchId: b.id, service: b.service, gid: b.gid })),
    },
    'TRANSACTION IN DOUBT: its decision was re-published the most times and is still unacknowledged; an operator must look',
  );
}

/**
 * The events of a decision the publisher never announced (its coordinator died between the
 * commit and the broker's confirm), through the outbox, in the sweeper's local transaction.
 */
async function announceLate(
  db: Db,
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
  foreign: ForeignParticipants,
): Promise<string[]> {
  const messages = decisionEvents(t, branches, now, foreign.decisionMessages(t, branches));
  await insertOutbox(db, messages);
  await markAnnounced(db, [t.id], now, false);
  return messages.map((m) => m.id);
}

/** After `done` re-publishes (the sweeper's republishCount), the next is due at this doubling backoff. */
function nextRepublishAt(ctx: CoordinatorContext, done: number, now: Date): Date {
  const { republishAfterMs, republishMaxMs } = ctx.settings;
  const delay = Math.min(republishAfterMs * 2 ** (done + 1), republishMaxMs);
  return new Date(now.getTime() + delay);
}
