import { randomUUID } from 'node:crypto';
import type {
  BeginRequest,
  ListTransactionsQuery,
  ListTransactionsResponse,
  TransactionView,
} from '@trx/protocol';
import {
  findBranches,
  findBranchesOf,
  findTransaction,
  inTransaction,
  insertOutbox,
  insertTransaction,
  listTransactions,
  type Db,
  type TransactionRecord,
} from '../data-access';
import type { CoordinatorContext } from './context';
import { writeDecision } from './decide';
import { InvalidRequestError, TransactionConflictError, TransactionNotFoundError } from './errors';
import { lifecycleMessage } from './event-builder';
import { transactionView } from './views';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A non-uuid id can't name a transaction: answer 404 without asking Postgres. */
export async function loadTransaction(
  db: Db,
  id: string,
  lock: 'none' | 'share' | 'update' = 'none',
): Promise<TransactionRecord> {
  const t = UUID.test(id) ? await findTransaction(db, id.toLowerCase(), lock) : undefined;
  if (!t) throw new TransactionNotFoundError(id);
  return t;
}

export async function begin(
  ctx: CoordinatorContext,
  request: BeginRequest,
  compat = false,
): Promise<TransactionView> {
  const timeoutMs = request.timeoutMs ?? ctx.settings.defaultTimeoutMs;
  if (timeoutMs > ctx.settings.maxTimeoutMs) {
    throw new InvalidRequestError(`timeoutMs must be at most ${ctx.settings.maxTimeoutMs}`, { timeoutMs });
  }
  const now = ctx.clock();
  const t: TransactionRecord = {
    id: randomUUID(),
    status: 'active',
    decision: null,
    reason: null,
    initiator: request.initiator ?? null,
    compat,
    timeoutMs,
    deadline: new Date(now.getTime() + timeoutMs),
    createdAt: now,
    updatedAt: now,
    decidedAt: null,
    nextRepublishAt: null,
    republishCount: 0,
  };
  const event = lifecycleMessage(t, [], now);
  await inTransaction(ctx.pool, async (db) => {
    await insertTransaction(db, t);
    await insertOutbox(db, [event]);
  });
  ctx.afterCommit([event.id]);
  ctx.metrics.begun();
  ctx.logger.info({ transactionId: t.id, timeoutMs, initiator: t.initiator }, 'transaction begun');
  return transactionView(t, []);
}

export async function get(ctx: CoordinatorContext, id: string): Promise<TransactionView> {
  const t = await loadTransaction(ctx.pool, id);
  return transactionView(t, await findBranches(ctx.pool, t.id));
}

export async function list(
  ctx: CoordinatorContext,
  query: ListTransactionsQuery,
): Promise<ListTransactionsResponse> {
  const limit = query.limit ?? 50;
  const offset = query.offset ?? 0;
  const { items, total } = await listTransactions(ctx.pool, { status: query.status, limit, offset });
  const branches = await findBranchesOf(
    ctx.pool,
    items.map((t) => t.id),
  );
  return {
    items: items.map((t) =>
      transactionView(
        t,
        branches.filter((b) => b.transactionId === t.id),
      ),
    ),
    total,
    limit,
    offset,
  };
}

/**
 * Commit: under FOR UPDATE on the transaction row (registrations hold FOR SHARE), so the
 * branch set can't change between reading it and writing the decision. COMMIT only when
 * every branch voted yes; an empty transaction commits trivially.
 */
export async function commit(
  ctx: CoordinatorContext,
  id: string,
  rule: 'all-prepared' | 'none-failed' = 'all-prepared',
) {
  const { view, outboxIds } = await inTransaction(ctx.pool, async (db) => {
    const t = await loadTransaction(db, id, 'update');
    const branches = await findBranches(db, t.id);
    if (t.status === 'committing' || t.status === 'committed')
      return { view: transactionView(t, branches), outboxIds: [] };
    if (t.status !== 'active') return { view: transactionView(t, branches), outboxIds: [] };
    const now = ctx.clock();
    const expired = now.getTime() >= t.deadline.getTime();
    const yes =
      rule === 'all-prepared'
        ? branches.every((b) => b.status === 'prepared')
        : branches.every((b) => b.status === 'prepared' || b.status === 'registered');
    const decision = !expired && yes ? 'commit' : 'rollback';
    const reason = expired ? 'timeout' : yes ? null : 'not every branch voted yes';
    const result = await writeDecision(db, t, branches, decision, reason, now, ctx.settings.republishAfterMs);
    ctx.metrics.decided(decision, reason, (now.getTime() - t.createdAt.getTime()) / 1000);
    return { view: transactionView(result.transaction, result.branches), outboxIds: result.outboxIds };
  });
  ctx.afterCommit(outboxIds);
  if (outboxIds.length > 0)
    ctx.logger.info({ transactionId: view.id, decision: view.decision, reason: view.reason }, 'decided');
  if (view.decision === 'rollback') {
    throw new TransactionConflictError(
      'transaction-rolled-back',
      view.id,
      view.status,
      `transaction ${view.id} rolled back`,
      {
        transaction: view,
      },
    );
  }
  return view;
}

export async function rollback(
  ctx: CoordinatorContext,
  id: string,
  reason?: string,
): Promise<TransactionView> {
  const { view, outboxIds } = await inTransaction(ctx.pool, async (db) => {
    const t = await loadTransaction(db, id, 'update');
    const branches = await findBranches(db, t.id);
    if (t.status !== 'active') return { view: transactionView(t, branches), outboxIds: [] };
    const now = ctx.clock();
    const result = await writeDecision(
      db,
      t,
      branches,
      'rollback',
      reason ?? 'rolled back by request',
      now,
      ctx.settings.republishAfterMs,
    );
    ctx.metrics.decided(
      'rollback',
      result.transaction.reason,
      (now.getTime() - t.createdAt.getTime()) / 1000,
    );
    return { view: transactionView(result.transaction, result.branches), outboxIds: result.outboxIds };
  });
  ctx.afterCommit(outboxIds);
  if (outboxIds.length > 0)
    ctx.logger.info({ transactionId: view.id, reason: view.reason }, 'rolled back by request');
  if (view.decision === 'commit') {
    throw new TransactionConflictError(
      'transaction-committed',
      view.id,
      view.status,
      `transaction ${view.id} already committed`,
      {
        transaction: view,
      },
    );
  }
  return view;
}
