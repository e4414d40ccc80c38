import {
  uuidv7,
  type BranchStatus,
  type BranchView,
  type OutcomeRequest,
  type RegisterBranchRequest,
  type Vote,
  type VoteRequest,
} from '@trx/protocol';
import {
  findBranch,
  findBranchByGid,
  findBranches,
  inTransaction,
  type BranchRecord,
  type Db,
  type TransactionRecord,
} from '../data-access';
import { assertBranchOwner, type Actor } from './authorization';
import { assertParticipantService, assertRoomForOneMore } from './branch-limits';
import type { CoordinatorContext } from './context';
import { finishIfAcknowledged } from './decide';
import { loadOrCreate } from './implicit-transactions';
import { BranchNotFoundError, ErrorCodes, TransactionConflictError } from './errors';
import { createBranch, createBranchIfActive, transitionBranch } from './state-machine';
import { isTransactionId, loadTransaction } from './transaction-use-cases';
import { branchView } from './views';

export interface Registered {
  branch: BranchView;
  created: boolean;
}

const voteStatus = (vote: Vote | undefined): BranchStatus =>
  vote === 'yes' ? 'prepared' : vote === 'no' ? 'failed' : 'registered';

/**
 * Register (and with `vote`, vote in the same round trip). FOR SHARE on the transaction
 * row: registrations run side by side, but never while a commit holds FOR UPDATE, so no
 * branch slips in after the decision was computed. A new gid of an active transaction
 * takes one statement; anything else (a repeat, a conflict, an error) the full path.
 */
export async function registerBranch(
  ctx: CoordinatorContext,
  id: string,
  request: RegisterBranchRequest,
): Promise<Registered> {
  const now = ctx.clock();
  const candidate: BranchRecord = {
    id: uuidv7(),
    transactionId: id.toLowerCase(),
    service: request.service,
    instance: request.instance,
    gid: request.gid,
    status: voteStatus(request.vote),
    reason: request.reason ?? null,
    finishedByCaller: false,
    createdAt: now,
    updatedAt: now,
  };
  // A branch the decision settles needs no decision message, so no participant service.
  if (!ctx.foreign.settledByDecision(candidate)) assertParticipantService(ctx, request.service);
  const max = ctx.settings.maxBranches;
  const inserted = isTransactionId(id)
    ? await createBranchIfActive(ctx.pool, candidate, now, max)
    : undefined;
  if (inserted) {
    ctx.logger.info(
      {
        transactionId: inserted.transactionId,
        branchId: inserted.id,
        service: inserted.service,
        status: inserted.status,
      },
      'branch registered',
    );
    return { branch: branchView(inserted), created: true };
  }
  return inTransaction(ctx.pool, async (db) => {
    // The first word about a transaction nobody began may be this registration (protocol v2).
    const t = await loadActive(ctx, db, id, request.initiator);
    if (!(await findBranchByGid(db, request.gid))) await assertRoomForOneMore(ctx, db, t);
    const again = await createBranch(db, candidate);
    if (again) return { branch: branchView(again), created: true };
    const existing = await findBranchByGid(db, request.gid);
    if (!existing || existing.transactionId !== t.id) {
      throw new TransactionConflictError(
        ErrorCodes.duplicateGid,
        t.id,
        t.status,
        `gid ${request.gid} belongs to another transaction`,
      );
    }
    return {
      branch: branchView(await applyVote(db, t, existing, candidate.status, request.reason, now)),
      created: false,
    };
  });
}

export async function vote(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  branchId: string,
  request: VoteRequest,
): Promise<BranchView> {
  return inTransaction(ctx.pool, async (db) => {
    const t = await loadActive(ctx, db, id);
    // A branch id is a uuid like a transaction id; anything else would reach Postgres' uuid cast.
    const branch = isTransactionId(branchId) ? await findBranch(db, t.id, branchId.toLowerCase()) : undefined;
    if (!branch) throw new BranchNotFoundError(t.id, branchId);
    assertBranchOwner(branch.gid, t.compat, actor);
    return branchView(await applyVote(db, t, branch, voteStatus(request.vote), request.reason, ctx.clock()));
  });
}

/** Same vote again: idempotent. A first vote on a registered branch: recorded. Anything else: 409. */
async function applyVote(
  db: Db,
  t: TransactionRecord,
  branch: BranchRecord,
  wanted: BranchStatus,
  reason: string | undefined,
  now: Date,
): Promise<BranchRecord> {
  if (branch.status === wanted || wanted === 'registered') return branch;
  const updated =
    branch.status === 'registered' ? await transitionBranch(db, branch, wanted, now, reason) : undefined;
  if (!updated) {
    throw new TransactionConflictError(
      ErrorCodes.voteConflict,
      t.id,
      t.status,
      `branch ${branch.id} already voted (${branch.status})`,
      {
        branch: branchView(branch),
      },
    );
  }
  return updated;
}

/**
 * The transaction, FOR SHARE, if it still takes branches and votes (active and within its
 * timeout). With `initiator`, one nobody began is created first (implicit-transactions.ts).
 */
async function loadActive(
  ctx: CoordinatorContext,
  db: Db,
  id: string,
  initiator?: string,
): Promise<TransactionRecord> {
  const t =
    initiator !== undefined && isTransactionId(id)
      ? await loadOrCreate(ctx, db, id, initiator, 'share')
      : await loadTransaction(db, id, 'share');
  if (t.status !== 'active' || ctx.clock().getTime() >= t.deadline.getTime()) {
    const why = t.status === 'active' ? 'timed out' : t.status;
    throw new TransactionConflictError(
      ErrorCodes.transactionDecided,
      t.id,
      t.status,
      `transaction ${t.id} is ${why}; roll the branch back`,
    );
  }
  return t;
}

/**
 * The participant's acknowledgement. FOR UPDATE on the transaction so that of two
 * last acks exactly one sees every branch finished and ends the transaction.
 * On the asynchronous pool: if this write is lost, the decision is re-published and acked again.
 */
export async function recordOutcome(
  ctx: CoordinatorContext,
  actor: Actor,
  id: string,
  branchId: string,
  request: OutcomeRequest,
): Promise<BranchView> {
  const { branch, outboxIds } = await inTransaction(ctx.asyncPool, async (db) => {
    const t = await loadTransaction(db, id, 'update');
    const branches = await findBranches(db, t.id);
    const found = branches.find((b) => b.id === branchId);
    if (!found) throw new BranchNotFoundError(t.id, branchId);
    assertBranchOwner(found.gid, t.compat, actor);
    const expected =
      t.decision === 'commit' ? 'committed' : t.decision === 'rollback' ? 'rolled-back' : undefined;
    if (request.outcome !== expected) {
      const code = expected ? ErrorCodes.outcomeMismatch : ErrorCodes.transactionNotDecided;
      throw new TransactionConflictError(
        code,
        t.id,
        t.status,
        `outcome ${request.outcome} does not match transaction ${t.status}`,
      );
    }
    if (found.status === request.outcome) return { branch: found, outboxIds: [] };
    const updated = await transitionBranch(db, found, request.outcome, ctx.clock());
    if (!updated)
      throw new TransactionConflictError(
        ErrorCodes.concurrentUpdate,
        t.id,
        t.status,
        'branch changed concurrently',
      );
    const all = branches.map((b) => (b.id === updated.id ? updated : b));
    const completionEvent = ctx.settings.lifecycleEvents === 'all';
    const finished = await finishIfAcknowledged(db, t, all, ctx.clock(), completionEvent);
    return { branch: updated, outboxIds: finished.outboxIds };
  });
  ctx.afterCommit(outboxIds);
  ctx.logger.debug(
    { transactionId: branch.transactionId, branchId: branch.id, outcome: branch.status },
    'outcome recorded',
  );
  return branchView(branch);
}
