import { PgCodes, pgCode } from '@trx/db';
import {
  parseGid,
  type CommitEvent,
  type Decision,
  type EnlistedBranch,
  type TransactionView,
  uuidv7,
} from '@trx/protocol';
import {
  commitInOneStatement,
  findBranches,
  inTransaction,
  type BranchRecord,
  type Db,
  type NewBranch,
  type TransactionRecord,
} from '../data-access';
import { assertInitiator, assertOwnEvents, COMPAT_ACTOR, type Actor } from './authorization';
import { assertParticipantService, assertRoomForBranches } from './branch-limits';
import type { CoordinatorContext } from './context';
import { NOTHING_WRITTEN, writeDecision, type Written } from './decide';
import { ErrorCodes, InvalidRequestError, TransactionConflictError } from './errors';
import { assertNotFromTheFuture, implicitTerms, loadOrCreate } from './implicit-transactions';
import { createEnlistedBranches, ENLISTED_STATUS, ONE_STATEMENT_COMMIT } from './state-machine';
import { isTransactionId } from './transaction-use-cases';
import { transactionView } from './views';

/** How commit counts votes: `/v1` needs a yes from every branch; the Spring sample's participants never vote. */
export type CommitRule = 'all-prepared' | 'none-failed';

type Choice = { decision: Decision; reason: string | null };
type Chooser = (t: TransactionRecord, branches: BranchRecord[], now: Date) => Choice;

/**
 * Commit, with the branches the initiator enlists. Under FOR UPDATE on the transaction row
 * (registrations hold FOR SHARE) the enlisted branches are inserted as prepared, the branch
 * set read and the decision written: COMMIT only when every branch voted yes, so a branch
 * that registered and voted no still forces rollback. Empty: commits trivially.
 */
export async function commit(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  enlisted: EnlistedBranch[] = [],
  rule: CommitRule = 'all-prepared',
  events: CommitEvent[] = [],
): Promise<TransactionView> {
  assertOwnEvents(
    actor,
    events.map((e) => e.routingKey),
  );
  const view = await decideOnRequest(
    ctx,
    actor,
    id,
    enlisted,
    rule === 'all-prepared',
    events,
    (t, branches, now) => {
      const expired = now.getTime() >= t.deadline.getTime();
      const yes = branches.every(
        (b) => b.status === 'prepared' || (rule === 'none-failed' && b.status === 'registered'),
      );
      return {
        decision: !expired && yes ? 'commit' : 'rollback',
        reason: expired ? 'timeout' : yes ? null : 'not every branch voted yes',
      };
    },
  );
  if (view.decision === 'rollback') {
    throw new TransactionConflictError(
      ErrorCodes.transactionRolledBack,
      view.id,
      view.status,
      `transaction ${view.id} rolled back`,
      {
        transaction: view,
      },
    );
  }
  assertDecidedWith(view, enlisted);
  return view;
}

/** A commit decided earlier, without one of these branches: its participant must roll it back. */
function assertDecidedWith(view: TransactionView, enlisted: EnlistedBranch[]): void {
  const known = new Set(view.branches.map((b) => b.gid));
  const outsider = enlisted.find((b) => !known.has(b.gid));
  if (outsider) {
    throw new TransactionConflictError(
      ErrorCodes.transactionDecided,
      view.id,
      view.status,
      `transaction ${view.id} was decided without branch ${outsider.gid}; roll it back`,
    );
  }
}

export async function rollback(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  reason?: string,
  enlisted: EnlistedBranch[] = [],
): Promise<TransactionView> {
  const view = await decideOnRequest(ctx, actor, id, enlisted, false, [], () => ({
    decision: 'rollback',
    reason: reason ?? 'rolled back by request',
  }));
  if (view.decision === 'commit') {
    throw new TransactionConflictError(
      ErrorCodes.transactionCommitted,
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

/**
 * A commit of enlisted branches only is tried in one statement first (commitOneStatement);
 * otherwise, and for every rollback: BEGIN, the row FOR UPDATE (created first for a
 * transaction nobody began), one statement that enlists and reads every branch, one that
 * writes the decision, COMMIT. A transaction decided earlier is answered as it is
 * (idempotent), enlisting nothing. Once committed, the decision is announced.
 */
async function decideOnRequest(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  enlisted: EnlistedBranch[],
  tryOneStatement: boolean,
  events: CommitEvent[],
  choose: Chooser,
): Promise<TransactionView> {
  const candidates = newBranches(ctx, id, enlisted);
  // A commit is capped; a rollback never is (it only ends branches).
  const capped = tryOneStatement;
  if (capped) assertRoomForBranches(ctx, { id, status: 'active' }, candidates.length);
  const fast = tryOneStatement ? await commitOneStatement(ctx, actor, id, candidates, events) : undefined;
  const { view, written } =
    fast ?? (await decideInTransaction(ctx, actor, id, candidates, choose, capped, events));
  ctx.afterCommit(written.outboxIds, written.announcements);
  if (written.outboxIds.length + written.announcements.length > 0) {
    // debug: at the usual rate this line is the coordinator's largest log volume (the metrics count decisions).
    const level = view.decision === 'commit' ? 'debug' : 'info';
    ctx.logger[level](
      { transactionId: view.id, decision: view.decision, reason: view.reason, enlisted: candidates.length },
      'decided',
    );
  }
  return view;
}

type Decided = { view: TransactionView; written: Written };

/**
 * The usual commit — every branch enlisted now, none registered before — as one statement:
 * one round trip and one commit. A transaction nobody began (a UUIDv7 id, in time) is
 * created by it. Undefined (nothing written) when the transaction is not in that state, and
 * the general path decides.
 */
async function commitOneStatement(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  candidates: NewBranch[],
  events: CommitEvent[],
): Promise<Decided | undefined> {
  const gids = new Set(candidates.map((c) => c.gid));
  if (candidates.length === 0 || gids.size !== candidates.length || !isTransactionId(id)) return undefined;
  if (actor === COMPAT_ACTOR) return undefined;
  const now = ctx.clock();
  const transactionId = id.toLowerCase();
  const terms = implicitTerms(ctx, transactionId);
  if (terms) assertNotFromTheFuture(terms, now, id);
  // Past its deadline: the general path records the timeout rollback.
  if (terms && now.getTime() >= terms.deadline.getTime()) return undefined;
  const t = await commitInOneStatement(ctx.pool, {
    id: transactionId,
    now,
    republishAt: new Date(now.getTime() + ctx.settings.republishAfterMs),
    // Terms for a row this commit creates; a non-v7 id was begun, and its row is used as it is.
    create: terms !== undefined,
    createdAt: terms?.createdAt ?? now,
    timeoutMs: terms?.timeoutMs ?? ctx.settings.defaultTimeoutMs,
    deadline: terms?.deadline ?? now,
    branches: candidates,
    events: events.length > 0 ? events : null,
    initiator: actor,
    statuses: ONE_STATEMENT_COMMIT,
  }).catch((err: unknown) => {
    // An enlisted gid another transaction holds: trx_commit_v3 checks for it only on a begun
    // row, so creating one runs into the unique gid (and a concurrent registration can on
    // either). The statement wrote nothing; the general path answers duplicate-gid.
    if (pgCode(err) === PgCodes.uniqueViolation) return undefined;
    throw err;
  });
  if (!t) return undefined;
  const branches: BranchRecord[] = candidates.map((c, n) => ({
    ...c,
    transactionId,
    status: ENLISTED_STATUS,
    reason: null,
    createdAt: new Date(now.getTime() + n / 1000),
    updatedAt: now,
  }));
  ctx.metrics.decided('commit', null, (now.getTime() - t.createdAt.getTime()) / 1000);
  return {
    view: transactionView(t, branches),
    written: { outboxIds: [], announcements: [{ transaction: t, branches }] },
  };
}

async function decideInTransaction(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  candidates: NewBranch[],
  choose: Chooser,
  capped: boolean,
  events: CommitEvent[],
): Promise<Decided> {
  return inTransaction(ctx.pool, async (db) => {
    const initiator = actor === COMPAT_ACTOR ? undefined : actor;
    const t = await loadOrCreate(ctx, db, id, initiator, 'update');
    assertInitiator(t, actor);
    if (t.status !== 'active')
      return { view: transactionView(t, await findBranches(db, t.id)), written: NOTHING_WRITTEN };
    const now = ctx.clock();
    const branches =
      candidates.length > 0 ? await enlist(db, t, candidates, now) : await findBranches(db, t.id);
    // Past the cap nothing is written: the local transaction rolls back with the refusal.
    if (capped) assertRoomForBranches(ctx, t, branches.length);
    const { decision, reason } = choose(t, branches, now);
    const result = await writeDecision(
      db,
      t,
      branches,
      decision,
      reason,
      now,
      ctx.settings.republishAfterMs,
      ctx.foreign,
      {
        events: decision === 'commit' && events.length > 0 ? events : null,
      },
    );
    ctx.metrics.decided(decision, reason, (now.getTime() - t.createdAt.getTime()) / 1000);
    return { view: transactionView(result.transaction, result.branches), written: result };
  });
}

/** Inserts the enlisted branches that are new and returns every branch; a gid of another transaction is a 409. */
async function enlist(
  db: Db,
  t: TransactionRecord,
  candidates: NewBranch[],
  now: Date,
): Promise<BranchRecord[]> {
  const branches = await createEnlistedBranches(db, t.id, candidates, now);
  const mine = new Set(branches.map((b) => b.gid));
  const taken = candidates.find((c) => !mine.has(c.gid));
  if (taken) {
    throw new TransactionConflictError(
      ErrorCodes.duplicateGid,
      t.id,
      t.status,
      `gid ${taken.gid} belongs to another transaction`,
    );
  }
  return branches;
}

/** A gid names its transaction: an enlisted gid of another transaction is a caller's bug, refused before any write. */
function newBranches(ctx: CoordinatorContext, id: string, enlisted: EnlistedBranch[]): NewBranch[] {
  return enlisted.map((b, i) => {
    assertParticipantService(ctx, b.service);
    if (parseGid(b.gid)?.transactionId !== id.toLowerCase()) {
      throw new InvalidRequestError(`branches.${i}.gid does not name transaction ${id}`, [
        { path: `branches.${i}.gid`, message: `must be trx:${b.service}:${id}:<key>` },
      ]);
    }
    return {
      id: uuidv7(),
      service: b.service,
      instance: b.instance ?? 'initiator',
      gid: b.gid,
      finishedByCaller: b.finishedByCaller ?? false,
    };
  });
}
