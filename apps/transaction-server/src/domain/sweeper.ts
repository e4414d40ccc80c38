import {
  claimExpired,
  claimRepublishDue,
  findBranchesOf,
  inTransaction,
  insertOutbox,
  prunePublished,
  scheduleRepublish,
  type TransactionRecord,
} from '../data-access';
import type { CoordinatorContext } from './context';
import { writeDecision } from './decide';
import { isCompatBranch } from './compat-mapping';
import { decisionMessages } from './event-builder';
import { isBranchFinal } from './state-machine';

export interface SweepResult {
  timedOut: number;
  republished: number;
}

const BATCH = 100;
/** Published outbox rows are kept this long (for looking into a recent incident), then deleted. */
const OUTBOX_RETENTION_MS = 60 * 60 * 1000;

/**
 * The periodic work, safe with several replicas: rows are claimed FOR UPDATE SKIP LOCKED,
 * so each expired or unacknowledged transaction is handled by one replica per round.
 */
export async function sweepOnce(ctx: CoordinatorContext): Promise<SweepResult> {
  const timedOut = await rollBackExpired(ctx);
  const republished = await republishUnacknowledged(ctx);
  await prunePublished(ctx.pool, new Date(ctx.clock().getTime() - OUTBOX_RETENTION_MS), 1000);
  return { timedOut, republished };
}

async function rollBackExpired(ctx: CoordinatorContext): Promise<number> {
  const now = ctx.clock();
  const { count, outboxIds } = await inTransaction(ctx.pool, async (db) => {
    const expired = await claimExpired(db, now, BATCH);
    const branches = await findBranchesOf(
      db,
      expired.map((t) => t.id),
    );
    const ids: string[] = [];
    for (const t of expired) {
      const own = branches.filter((b) => b.transactionId === t.id);
      const result = await writeDecision(
        db,
        t,
        own,
        'rollback',
        'timeout',
        now,
        ctx.settings.republishAfterMs,
      );
      ctx.metrics.decided('rollback', 'timeout', (now.getTime() - t.createdAt.getTime()) / 1000);
      ctx.logger.info({ transactionId: t.id }, 'rolled back: timeout');
      ids.push(...result.outboxIds);
    }
    return { count: expired.length, outboxIds: ids };
  });
  ctx.afterCommit(outboxIds);
  return count;
}

/** Sends the decision again to the services whose branches have not acknowledged, with doubling backoff. */
async function republishUnacknowledged(ctx: CoordinatorContext): Promise<number> {
  const now = ctx.clock();
  const { count, outboxIds } = await inTransaction(ctx.pool, async (db) => {
    const due = await claimRepublishDue(db, now, BATCH);
    const branches = await findBranchesOf(
      db,
      due.map((t) => t.id),
    );
    const ids: string[] = [];
    for (const t of due) {
      const pending = branches.filter(
        (b) => b.transactionId === t.id && !isBranchFinal(b.status) && !isCompatBranch(b),
      );
      const messages = decisionMessages(t, pending, t.decision ?? 'rollback', now);
      await insertOutbox(db, messages);
      await scheduleRepublish(db, t.id, nextRepublishAt(ctx, t, now), t.republishCount + 1);
      ctx.logger.warn(
        {
          transactionId: t.id,
          decision: t.decision,
          services: messages.map((m) => m.routingKey),
          attempt: t.republishCount + 1,
        },
        're-publishing an unacknowledged decision',
      );
      ids.push(...messages.map((m) => m.id));
    }
    return { count: due.length, outboxIds: ids };
  });
  ctx.afterCommit(outboxIds);
  return count;
}

function nextRepublishAt(ctx: CoordinatorContext, t: TransactionRecord, now: Date): Date {
  const { republishAfterMs, republishMaxMs } = ctx.settings;
  const delay = Math.min(republishAfterMs * 2 ** (t.republishCount + 1), republishMaxMs);
  return new Date(now.getTime() + delay);
}
