import type { OutcomeBatchRequest, OutcomeBatchResponse } from '@trx/protocol';
import {
  inTransaction,
  lockTransactions,
  type BranchRecord,
  type Db,
  type FinishChange,
  type OutcomeRow,
  type TransactionRecord,
} from '../data-access';
import type { CoordinatorContext } from './context';
import { ErrorCodes, type ErrorCode } from './errors';
import { finalStatus } from './decide';
import { lifecycleMessage } from './event-builder';
import { isBranchFinal, transitionBranchesToOutcome, transitionTransactions } from './state-machine';
import { isTransactionId } from './transaction-use-cases';

type Rejection = OutcomeBatchResponse['rejected'][number] & { transactionId: string };

/**
 * Acknowledgements of many branches in one local transaction on the asynchronous pool (a
 * lost one only re-publishes its decision): lock the transactions in id order (two batches
 * never deadlock), record every outcome that matches its decision in one statement, then
 * end, in one more statement, each transaction whose branches are now all final. Because
 * the transaction rows stay locked, of two replicas acknowledging the last branches of the
 * same transaction the second sees the first's writes, and exactly one ends it.
 */
export async function recordOutcomes(
  ctx: CoordinatorContext,
  request: OutcomeBatchRequest,
): Promise<OutcomeBatchResponse> {
  const { rows, rejected } = normalise(request.outcomes);
  const result =
    rows.length > 0
      ? await inTransaction(ctx.asyncPool, (db) => applyOutcomes(ctx, db, rows))
      : { recorded: 0, rejected: [], outboxIds: [] };
  ctx.afterCommit(result.outboxIds);
  const all = [...rejected, ...result.rejected];
  for (const r of all) {
    ctx.logger.warn(
      { transactionId: r.transactionId, gid: r.gid, error: r.error },
      'acknowledgement rejected',
    );
  }
  ctx.logger.debug({ recorded: result.recorded, rejected: all.length }, 'acknowledgements recorded');
  return { recorded: result.recorded, rejected: all.map(({ gid, error }) => ({ gid, error })) };
}

/** Lower-case transaction ids, one row per (transaction, gid, outcome); a non-uuid names no transaction. */
function normalise(outcomes: OutcomeBatchRequest['outcomes']): { rows: OutcomeRow[]; rejected: Rejection[] } {
  const rows = new Map<string, OutcomeRow>();
  const rejected: Rejection[] = [];
  for (const o of outcomes) {
    if (!isTransactionId(o.transactionId)) {
      rejected.push({ transactionId: o.transactionId, gid: o.gid, error: ErrorCodes.transactionNotFound });
      continue;
    }
    const row = { ...o, transactionId: o.transactionId.toLowerCase() };
    rows.set(`${row.transactionId} ${row.gid} ${row.outcome}`, row);
  }
  return { rows: [...rows.values()], rejected };
}

async function applyOutcomes(ctx: CoordinatorContext, db: Db, rows: OutcomeRow[]) {
  const locked = await lockTransactions(db, [...new Set(rows.map((r) => r.transactionId))]);
  const byId = new Map(locked.map((t) => [t.id, t]));
  const known = rows.filter((r) => byId.has(r.transactionId));
  const now = ctx.clock();
  const branches =
    known.length > 0 ? await transitionBranchesToOutcome(db, known, [...byId.keys()], now) : [];
  const byGid = new Map(branches.map((b) => [b.gid, b]));
  const rejected: Rejection[] = [];
  for (const r of rows) {
    const error = judge(byId.get(r.transactionId), byGid.get(r.gid), r);
    if (error) rejected.push({ transactionId: r.transactionId, gid: r.gid, error });
  }
  const changes = acknowledged(locked, branches, now, ctx.settings.lifecycleEvents === 'all');
  const ended = new Set((await transitionTransactions(db, changes, now)).map((t) => t.id));
  const outboxIds = changes.filter((c) => ended.has(c.id)).flatMap((c) => c.outbox.map((m) => m.id));
  return { recorded: rows.length - rejected.length, rejected, outboxIds };
}

/** Why an acknowledgement was not recorded, or undefined when the branch now holds that outcome. */
function judge(
  t: TransactionRecord | undefined,
  b: BranchRecord | undefined,
  r: OutcomeRow,
): ErrorCode | undefined {
  if (!t) return ErrorCodes.transactionNotFound;
  if (!b || b.transactionId !== t.id) return ErrorCodes.branchNotFound;
  if (b.status === r.outcome) return undefined;
  return t.decision === null ? ErrorCodes.transactionNotDecided : ErrorCodes.outcomeMismatch;
}

/**
 * The decided and announced transactions whose every branch is final, each with its
 * completion event when those are on (TRX_LIFECYCLE_EVENTS=all). One not yet announced waits
 * for the re-publish, which announces and ends it.
 */
function acknowledged(
  locked: TransactionRecord[],
  branches: BranchRecord[],
  now: Date,
  completionEvents: boolean,
): FinishChange[] {
  const changes: FinishChange[] = [];
  for (const t of locked) {
    if ((t.status !== 'committing' && t.status !== 'rolling-back') || !t.announced) continue;
    const own = branches.filter((b) => b.transactionId === t.id);
    if (own.length === 0 || !own.every((b) => isBranchFinal(b.status))) continue;
    const next = finalStatus(t.status);
    const ended = { ...t, status: next, nextRepublishAt: null, updatedAt: now };
    const outbox = completionEvents ? [lifecycleMessage(ended, own, now)] : [];
    changes.push({ id: t.id, expected: t.status, next, outbox });
  }
  return changes;
}
