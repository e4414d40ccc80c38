import { routingKeys, type BranchView, type Decision, type TransactionStatus } from '@trx/protocol';
import type { Page } from '@trx/service-kit';
import {
  findBranches,
  findOutboxOf,
  inTransaction,
  type BranchRecord,
  type OutboxEntry,
  type TransactionRecord,
} from '../data-access';
import type { CoordinatorContext } from './context';
import { ErrorCodes, isTransactionNotFound, TransactionConflictError } from './errors';
import { republishDecision, rollBackTimedOut, unacknowledged } from './sweeper';
import { stuckReasonOf, type StuckReason } from './stuck';
import { isTransactionId, listPage, loadTransaction } from './transaction-use-cases';
import { branchView } from './views';

/** The operator's console (docs/console.md): lists, one transaction's story, and two actions. */

export interface ConsoleListQuery {
  status?: TransactionStatus;
  service?: string;
  /** Only transactions begun more than this many seconds ago. */
  olderThanS?: number;
  /** A transaction id: the list is that transaction, or empty. */
  q?: string;
  /** Only the ones stuckReasonOf finds stuck. */
  stuck?: boolean;
  limit?: number;
  cursor?: string;
}

export interface ConsoleListItem {
  id: string;
  status: TransactionStatus;
  decision: Decision | null;
  reason: string | null;
  initiator: string | null;
  createdAt: string;
  /** Seconds since it began, by the coordinator's clock (the browser's may differ). */
  ageS: number;
  deadline: string;
  decidedAt: string | null;
  services: string[];
  branches: number;
  inDoubtSince: string | null;
  stuck: StuckReason | null;
}

export interface TimelineEntry {
  at: string;
  event: string;
  service?: string;
  detail?: string;
}

export interface ConsoleMessage {
  id: string;
  routingKey: string;
  createdAt: string;
  publishedAt: string | null;
  attempts: number;
}

export interface ConsoleDetail extends ConsoleListItem {
  timeoutMs: number;
  updatedAt: string;
  republishCount: number;
  nextRepublishAt: string | null;
  branchList: BranchView[];
  messages: ConsoleMessage[];
  timeline: TimelineEntry[];
}

export type OperatorAction = 'republish' | 'rollback';

export async function consoleList(
  ctx: CoordinatorContext,
  query: ConsoleListQuery,
): Promise<Page<ConsoleListItem>> {
  const now = ctx.clock();
  const view = (t: TransactionRecord, branches: BranchRecord[]) => listItem(ctx, t, branches, now);
  if (query.q !== undefined) {
    // A search by id is a lookup: one transaction or none, no pages.
    const id = query.q.trim().toLowerCase();
    const t = isTransactionId(id)
      ? await loadTransaction(ctx.pool, id).catch(notFoundAsUndefined)
      : undefined;
    return { items: t ? [view(t, await findBranches(ctx.pool, t.id))] : [], next: null };
  }
  const createdBefore =
    query.olderThanS === undefined ? undefined : new Date(now.getTime() - query.olderThanS * 1000);
  const stuck = query.stuck
    ? { now, decidedBefore: new Date(now.getTime() - ctx.settings.republishAfterMs) }
    : undefined;
  return listPage(ctx, { ...query, createdBefore, stuck }, view);
}

export async function consoleDetail(ctx: CoordinatorContext, id: string): Promise<ConsoleDetail> {
  const t = await loadTransaction(ctx.pool, id);
  const [branches, messages] = await Promise.all([
    findBranches(ctx.pool, t.id),
    findOutboxOf(ctx.pool, t.id),
  ]);
  const now = ctx.clock();
  return {
    ...listItem(ctx, t, branches, now),
    timeoutMs: t.timeoutMs,
    updatedAt: t.updatedAt.toISOString(),
    republishCount: t.republishCount,
    nextRepublishAt: t.nextRepublishAt?.toISOString() ?? null,
    branchList: branches.map(branchView),
    messages: messages.map(messageView),
    timeline: timelineOf(t, branches, messages),
  };
}

/**
 * Re-publish a decision now: what the sweeper's next round would send, sent at once, with the
 * backoff and the attempt count starting over and an in-doubt mark cleared. Only a decided,
 * unfinished transaction (409 otherwise).
 */
export async function republishNow(
  ctx: CoordinatorContext,
  operator: string,
  id: string,
): Promise<ConsoleDetail> {
  const outboxIds = await inTransaction(ctx.pool, async (db) => {
    const t = await loadTransaction(db, id, 'update');
    if (t.status !== 'committing' && t.status !== 'rolling-back') {
      throw new TransactionConflictError(
        ErrorCodes.notAwaitingAcknowledgement,
        t.id,
        t.status,
        `transaction ${t.id} is ${t.status}: only a committing or rolling-back transaction has a decision to re-publish`,
      );
    }
    const pending = unacknowledged(await findBranches(db, t.id), ctx.foreign);
    return republishDecision(ctx, db, t, pending, ctx.clock(), 0);
  });
  ctx.afterCommit(outboxIds);
  audit(ctx, operator, 'republish', id, { messages: outboxIds.length });
  return consoleDetail(ctx, id);
}

/**
 * Roll back an active transaction past its deadline now, exactly as the sweeper's next round
 * would (reason `timeout`). 409 when it is not active, or still within its deadline — the
 * console never ends a transaction its initiator may still commit.
 */
export async function rollBackExpiredNow(
  ctx: CoordinatorContext,
  operator: string,
  id: string,
): Promise<ConsoleDetail> {
  const written = await inTransaction(ctx.pool, async (db) => {
    const t = await loadTransaction(db, id, 'update');
    const now = ctx.clock();
    if (t.status !== 'active') {
      throw new TransactionConflictError(
        ErrorCodes.notActive,
        t.id,
        t.status,
        `transaction ${t.id} is already ${t.status}`,
      );
    }
    if (now.getTime() < t.deadline.getTime()) {
      throw new TransactionConflictError(
        ErrorCodes.notPastDeadline,
        t.id,
        t.status,
        `transaction ${t.id} is within its deadline (${t.deadline.toISOString()}); its initiator may still decide it`,
      );
    }
    return rollBackTimedOut(ctx, db, t, await findBranches(db, t.id), now);
  });
  ctx.afterCommit(written.outboxIds, written.announcements);
  audit(ctx, operator, 'rollback', id, { messages: written.outboxIds.length + written.announcements.length });
  return consoleDetail(ctx, id);
}

/**
 * One line per operator action, after it took effect: the audit trail (`audit: true`). At
 * warn, so a coordinator that logs warnings only still keeps it.
 */
function audit(
  ctx: CoordinatorContext,
  operator: string,
  action: OperatorAction,
  transactionId: string,
  extra: Record<string, unknown>,
): void {
  ctx.logger.warn({ audit: true, operator, action, transactionId, ...extra }, `operator action: ${action}`);
}

function listItem(
  ctx: CoordinatorContext,
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
): ConsoleListItem {
  return {
    id: t.id,
    status: t.status,
    decision: t.decision,
    reason: t.reason,
    initiator: t.initiator,
    createdAt: t.createdAt.toISOString(),
    ageS: Math.floor((now.getTime() - t.createdAt.getTime()) / 1000),
    deadline: t.deadline.toISOString(),
    decidedAt: t.decidedAt?.toISOString() ?? null,
    services: [...new Set(branches.map((b) => b.service))],
    branches: branches.length,
    inDoubtSince: t.inDoubtSince?.toISOString() ?? null,
    stuck: stuckReasonOf(t, branches, now, ctx.settings.republishAfterMs, ctx.foreign) ?? null,
  };
}

function messageView(m: OutboxEntry): ConsoleMessage {
  return {
    id: m.id,
    routingKey: m.routingKey,
    createdAt: m.createdAt.toISOString(),
    publishedAt: m.publishedAt?.toISOString() ?? null,
    attempts: m.attempts,
  };
}

/**
 * The story from the rows: a branch keeps its creation and last change only, so a finished
 * branch shows registered and acknowledged, and a prepared one registered and prepared.
 */
export function timelineOf(
  t: TransactionRecord,
  branches: BranchRecord[],
  messages: OutboxEntry[],
): TimelineEntry[] {
  const at = (d: Date) => d.toISOString();
  const entries: TimelineEntry[] = [
    {
      at: at(t.createdAt),
      event: 'begun',
      detail: `by ${t.initiator ?? 'unknown'}, timeout ${t.timeoutMs} ms`,
    },
  ];
  for (const b of branches) {
    const how = b.finishedByCaller ? 'enlisted by the initiator' : `instance ${b.instance}`;
    entries.push({ at: at(b.createdAt), event: 'branch registered', service: b.service, detail: how });
    if (b.status === 'prepared')
      entries.push({ at: at(b.updatedAt), event: 'branch prepared', service: b.service });
    if (b.status === 'failed') {
      entries.push({
        at: at(b.updatedAt),
        event: 'branch voted no',
        service: b.service,
        detail: b.reason ?? undefined,
      });
    }
    if (b.status === 'committed' || b.status === 'rolled-back') {
      entries.push({ at: at(b.updatedAt), event: `branch acknowledged ${b.status}`, service: b.service });
    }
  }
  if (t.decidedAt) {
    entries.push({ at: at(t.decidedAt), event: `decided ${t.decision}`, detail: t.reason ?? undefined });
    entries.push(...announcedEntries(t, branches, messages));
  }
  for (const m of messages) {
    entries.push(
      m.publishedAt
        ? { at: at(m.publishedAt), event: `published ${m.routingKey}` }
        : { at: at(m.createdAt), event: `queued ${m.routingKey}`, detail: 'not published yet' },
    );
  }
  if (t.inDoubtSince) {
    entries.push({
      at: at(t.inDoubtSince),
      event: 'in doubt',
      detail: `after ${t.republishCount} re-publishes`,
    });
  }
  if (t.status === 'committed' || t.status === 'rolled-back') {
    entries.push({ at: at(t.updatedAt), event: `finished ${t.status}` });
  }
  // Stable: equal instants keep the order above (begun, branches, decision, messages, end).
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i)
    .map((x) => x.e);
}

/**
 * What the publisher sent with the decision (protocol v2: the row is its own outbox, so no
 * outbox row tells it): the decision to each service with branches to finish, the lifecycle
 * event and the initiator's events — or, while the row is unannounced, that they wait for the
 * re-publish. Decisions the outbox shows (a re-publish, or a decision from before protocol
 * v2) are told by their rows instead.
 */
function announcedEntries(
  t: TransactionRecord,
  branches: BranchRecord[],
  messages: OutboxEntry[],
): TimelineEntry[] {
  const inOutbox = new Set(messages.map((m) => m.routingKey));
  const keys = [
    ...new Set(branches.filter((b) => !b.finishedByCaller).map((b) => routingKeys.decision(b.service))),
    t.decision === 'commit' ? routingKeys.committed : routingKeys.rolledBack,
    ...(t.decision === 'commit' ? (t.events ?? []).map((e) => e.routingKey) : []),
  ].filter((key) => !inOutbox.has(key));
  const when = t.decidedAt!.toISOString();
  return keys.map((key) =>
    t.announced
      ? { at: when, event: `published ${key}`, detail: 'with the decision' }
      : { at: when, event: `queued ${key}`, detail: 'not announced yet; the re-publish sends it' },
  );
}

function notFoundAsUndefined(err: unknown): undefined {
  if (isTransactionNotFound(err)) return undefined;
  throw err;
}
