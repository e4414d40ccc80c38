import {
  parseGid,
  uuidv7,
  type BeginRequest,
  type ListTransactionsQuery,
  type ListTransactionsResponse,
  type TransactionView,
} from '@trx/protocol';
import { decodeCursor, pageOf, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, type Page } from '@trx/service-kit';
import {
  findBranches,
  findBranchesOf,
  findTransaction,
  listTransactions,
  type BranchRecord,
  type Db,
  type ListFilter,
  type ListPosition,
  type TransactionRecord,
} from '../data-access';
import { COMPAT_ACTOR, type Actor } from './authorization';
import type { CoordinatorContext } from './context';
import { InvalidRequestError, TransactionNotFoundError } from './errors';
import { lifecycleMessage } from './event-builder';
import { isTransactionId, resolveUnknown } from './implicit-transactions';
import { createTransaction } from './state-machine';
import { transactionView } from './views';

export { isTransactionId };

/** A non-uuid id can't name a transaction: answer 404 without asking Postgres. */
export async function loadTransaction(
  db: Db,
  id: string,
  lock: 'none' | 'share' | 'update' = 'none',
): Promise<TransactionRecord> {
  const t = isTransactionId(id) ? await findTransaction(db, id.toLowerCase(), lock) : undefined;
  if (!t) throw new TransactionNotFoundError(id);
  return t;
}

/** Begins a transaction whose initiator — the only one who may decide it — is `actor`. */
export async function begin(
  ctx: CoordinatorContext,
  actor: Actor,
  request: BeginRequest,
): Promise<TransactionView> {
  const compat = actor === COMPAT_ACTOR;
  const timeoutMs = request.timeoutMs ?? ctx.settings.defaultTimeoutMs;
  if (timeoutMs > ctx.settings.maxTimeoutMs) {
    throw new InvalidRequestError(`timeoutMs must be at most ${ctx.settings.maxTimeoutMs}`, { timeoutMs });
  }
  const now = ctx.clock();
  const t: TransactionRecord = {
    id: uuidv7(),
    status: 'active',
    decision: null,
    reason: null,
    initiator: actor,
    compat,
    timeoutMs,
    deadline: new Date(now.getTime() + timeoutMs),
    createdAt: now,
    updatedAt: now,
    decidedAt: null,
    nextRepublishAt: null,
    republishCount: 0,
    inDoubtSince: null,
    announced: true,
    events: null,
  };
  // transaction.begun only with TRX_LIFECYCLE_EVENTS=all: by default a transaction has one event, at its decision.
  const events = ctx.settings.lifecycleEvents === 'all' ? [lifecycleMessage(t, [], now)] : [];
  // One autocommit statement on the asynchronous pool: see createAsyncPool for why losing it is harmless.
  await createTransaction(ctx.asyncPool, t, 'begin', events);
  ctx.afterCommit(events.map((e) => e.id));
  ctx.metrics.begun();
  // debug: 'decided' is the transaction's info line (the begun event and metrics count beginnings).
  ctx.logger.debug({ transactionId: t.id, timeoutMs, initiator: t.initiator }, 'transaction begun');
  return transactionView(t, []);
}

export async function get(ctx: CoordinatorContext, id: string): Promise<TransactionView> {
  const t = await loadTransaction(ctx.pool, id);
  return transactionView(t, await findBranches(ctx.pool, t.id));
}

/**
 * A participant's recovery asking how the transaction of its branch `gid` ended (the caller
 * owns the gid: the route checks). Unknown transactions are answered by their implicit terms,
 * and tombstoned past their deadline (implicit-transactions.ts).
 */
export async function resolve(ctx: CoordinatorContext, id: string, gid: string): Promise<TransactionView> {
  if (parseGid(gid)?.transactionId !== id.toLowerCase()) {
    throw new InvalidRequestError(`gid ${gid} does not name transaction ${id}`, [
      { path: 'gid', message: `must be trx:<service>:${id}:<key>` },
    ]);
  }
  const known = isTransactionId(id) ? await findTransaction(ctx.pool, id.toLowerCase()) : undefined;
  if (known) return transactionView(known, await findBranches(ctx.pool, known.id));
  const { transaction } = await resolveUnknown(ctx, id);
  return transactionView(
    transaction,
    transaction.status === 'active' ? [] : await findBranches(ctx.pool, transaction.id),
  );
}

export async function list(
  ctx: CoordinatorContext,
  query: ListTransactionsQuery,
): Promise<ListTransactionsResponse> {
  return listPage(ctx, query, transactionView);
}

/**
 * A page of transactions with their branches, newest first, in `view`'s shape: `limit`
 * (default 20, at most 100) and the opaque `cursor` of the previous page; a cursor that is
 * not one of ours is 400.
 */
export async function listPage<T>(
  ctx: CoordinatorContext,
  query: ListTransactionsQuery & ListFilter,
  view: (t: TransactionRecord, branches: BranchRecord[]) => T,
): Promise<Page<T>> {
  const limit = Math.min(query.limit ?? PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX);
  const after = query.cursor === undefined ? undefined : positionOf(query.cursor);
  const rows = await listTransactions(ctx.pool, {
    status: query.status,
    compat: query.compat,
    service: query.service,
    createdBefore: query.createdBefore,
    stuck: query.stuck,
    limit: limit + 1,
    after,
  });
  const shown = rows.slice(0, limit);
  const branches = await findBranchesOf(
    ctx.pool,
    shown.map((t) => t.id),
  );
  return pageOf(
    rows,
    limit,
    (t) => [t.createdAt.toISOString(), t.id],
    (t) =>
      view(
        t,
        branches.filter((b) => b.transactionId === t.id),
      ),
  );
}

function positionOf(cursor: string): ListPosition {
  const key = decodeCursor(cursor, ['string', 'string']);
  const [createdAt, id] = (key ?? []) as string[];
  if (!createdAt || !id || !isTransactionId(id) || Number.isNaN(Date.parse(createdAt))) {
    throw new InvalidRequestError('cursor is not one this list gave out', [
      { path: 'cursor', message: 'pass the `next` of the previous page unchanged' },
    ]);
  }
  return { id, createdAt };
}
