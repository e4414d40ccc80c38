import { inBatches } from '@trx/db';
import { deleteFinishedTransactions, prunePublished } from '../data-access';
import type { CoordinatorContext } from './context';

export interface RetentionResult {
  transactions: number;
  outbox: number;
}

/** Published outbox rows are a queue, not a history: kept an hour at most (for a recent incident). */
const OUTBOX_RETENTION_MS = 60 * 60 * 1000;

/**
 * Deletes what recovery can no longer need (docs/architecture.md, "Retention"): finished
 * transactions with their branches TRX_RETENTION_MS after they ended, and published outbox
 * rows. Small batches, each its own statement with SKIP LOCKED, so the hot path never waits
 * for it; several replicas may run it at once.
 */
export async function retainOnce(ctx: CoordinatorContext): Promise<RetentionResult> {
  const now = ctx.clock().getTime();
  const { retentionMs, retentionBatch } = ctx.settings;
  const transactions = await inBatches(retentionBatch, (limit) =>
    deleteFinishedTransactions(ctx.pool, new Date(now - retentionMs), limit),
  );
  const outboxBefore = new Date(now - Math.min(retentionMs, OUTBOX_RETENTION_MS));
  const outbox = await inBatches(retentionBatch, (limit) => prunePublished(ctx.pool, outboxBefore, limit));
  if (transactions + outbox > 0) ctx.logger.info({ transactions, outbox }, 'retention deleted old rows');
  return { transactions, outbox };
}
