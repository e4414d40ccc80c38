import { countBranches, type Db } from '../data-access';
import type { CoordinatorContext } from './context';
import { ErrorCodes, TransactionConflictError, UnknownServiceError } from './errors';

/**
 * Decisions go only to known participant services: a branch of any other service would
 * make the relay declare a queue nobody reads, and its decision would be re-published to
 * it until the transaction is in-doubt. Spring-sample branches get no decision message and
 * are not checked.
 */
export function assertParticipantService(ctx: CoordinatorContext, service: string): void {
  const known = ctx.settings.participantServices;
  if (known.includes('*') || known.includes(service)) return;
  ctx.metrics.refused('unknown-service');
  throw new UnknownServiceError(service, { service, known });
}

/**
 * A transaction takes at most TRX_MAX_BRANCHES branches (409 too-many-branches): each costs
 * a prepared slot, a row and a decision delivery. `adding` more than `existing` already has.
 */
export function assertRoomForBranches(
  ctx: CoordinatorContext,
  transaction: { id: string; status: string },
  total: number,
): void {
  const max = ctx.settings.maxBranches;
  if (total <= max) return;
  ctx.metrics.refused('too-many-branches');
  throw new TransactionConflictError(
    ErrorCodes.tooManyBranches,
    transaction.id,
    transaction.status,
    `transaction ${transaction.id} would have ${total} branches; at most ${max} are taken`,
    { maxBranches: max },
  );
}

/** assertRoomForBranches for one more branch, counting the transaction's branches (slow path only). */
export async function assertRoomForOneMore(
  ctx: CoordinatorContext,
  db: Db,
  transaction: { id: string; status: string },
): Promise<void> {
  assertRoomForBranches(ctx, transaction, (await countBranches(db, transaction.id)) + 1);
}
