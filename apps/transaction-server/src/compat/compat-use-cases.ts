import type { Page } from '@trx/service-kit';
import { findBranches } from '../data-access';
import { registerBranch, recordOutcome, vote } from '../domain/branch-use-cases';
import {
  compatGid,
  compatTransaction,
  type CompatParticipant,
  type CompatStatus,
  type CompatTransaction,
} from './compat-mapping';
import type { CoordinatorContext } from '../domain/context';
import {
  BranchNotFoundError,
  InvalidRequestError,
  isTransactionConflict,
  TransactionNotFoundError,
} from '../domain/errors';
import { commit, rollback } from '../domain/decision-use-cases';
import { COMPAT_ACTOR } from '../domain/authorization';
import { begin, listPage, loadTransaction } from '../domain/transaction-use-cases';
import type { TransactionRecord } from '../data-access';

/**
 * The compat API reaches compat transactions only: any other id is unknown to it (404, the
 * same answer as for an id that does not exist, so it learns nothing about `/v1` traffic).
 */
async function loadCompat(ctx: CoordinatorContext, id: string): Promise<TransactionRecord> {
  const t = await loadTransaction(ctx.pool, id);
  if (!t.compat) throw new TransactionNotFoundError(id);
  return t;
}

/**
 * The Spring sample's API on top of the same tables. Its participants have no prepare
 * phase, so their branches count as yes unless they reported ROLLBACK / TO_ROLLBACK, and
 * they hear the outcome from the `{id, status, participants}` event, not a decision queue.
 */
export async function compatCreate(
  ctx: CoordinatorContext,
  participants: CompatParticipant[],
): Promise<CompatTransaction> {
  const view = await begin(ctx, COMPAT_ACTOR, {});
  for (const p of participants) await compatAddParticipant(ctx, view.id, p);
  return compatGet(ctx, view.id);
}

export async function compatGet(ctx: CoordinatorContext, id: string): Promise<CompatTransaction> {
  const t = await loadCompat(ctx, id);
  return compatTransaction(t, await findBranches(ctx.pool, t.id));
}

/** A page of compat transactions in the sample's shape, newest first (`{items, next}`, as every list). */
export async function compatList(
  ctx: CoordinatorContext,
  query: { limit?: number; cursor?: string },
): Promise<Page<CompatTransaction>> {
  return listPage(ctx, { ...query, compat: true }, compatTransaction);
}

export async function compatAddParticipant(
  ctx: CoordinatorContext,
  id: string,
  p: CompatParticipant,
): Promise<CompatTransaction> {
  await loadCompat(ctx, id);
  await registerBranch(ctx, id, {
    service: p.serviceId,
    instance: 'compat',
    gid: compatGid(p.serviceId, id.toLowerCase()),
    vote: p.status === 'CONFIRMED' ? 'yes' : p.status === 'NEW' ? undefined : 'no',
  });
  return compatGet(ctx, id);
}

/** While active, a participant's status is its vote; once decided, its acknowledgement. */
export async function compatSetParticipantStatus(
  ctx: CoordinatorContext,
  id: string,
  serviceId: string,
  status: CompatStatus,
): Promise<CompatTransaction> {
  const t = await loadCompat(ctx, id);
  const branch = (await findBranches(ctx.pool, t.id)).find((b) => b.service === serviceId);
  if (!branch) throw new BranchNotFoundError(t.id, serviceId);
  if (status === 'NEW') {
    if (branch.status !== 'registered')
      throw new InvalidRequestError('a participant cannot go back to NEW', { serviceId });
  } else if (t.status === 'active') {
    await vote(ctx, COMPAT_ACTOR, t.id, branch.id, { vote: status === 'CONFIRMED' ? 'yes' : 'no' });
  } else {
    await recordOutcome(ctx, COMPAT_ACTOR, t.id, branch.id, {
      outcome: status === 'CONFIRMED' ? 'committed' : 'rolled-back',
    });
  }
  return compatGet(ctx, t.id);
}

/** CONFIRMED → commit (refused into ROLLBACK if a participant said no); ROLLBACK / TO_ROLLBACK → rollback. */
export async function compatFinish(
  ctx: CoordinatorContext,
  id: string,
  status: CompatStatus,
): Promise<CompatTransaction> {
  if (status === 'NEW') throw new InvalidRequestError('a transaction cannot be finished as NEW', { status });
  try {
    await loadCompat(ctx, id);
    if (status === 'CONFIRMED') await commit(ctx, COMPAT_ACTOR, id, [], 'none-failed');
    else await rollback(ctx, COMPAT_ACTOR, id, `finished as ${status}`);
  } catch (err) {
    // The outcome is in the answer's status; only not-found and invalid requests are errors here.
    if (!isTransactionConflict(err)) throw err;
  }
  return compatGet(ctx, id);
}
