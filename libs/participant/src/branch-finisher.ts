import type { Logger } from '@trx/logging';
import type { Decision } from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';
import { branchRowExists, gidLiteral, type Queryable } from './branch-sql';

export type Outcome = 'committed' | 'rolled-back';

/** Another session is finishing this gid right now; try again shortly. */
export class BranchBusyError extends Error {
  override readonly name = 'BranchBusyError';
  readonly retryable = true;
  constructor(readonly gid: string) {
    super(`prepared transaction ${gid} is being finished by another session`);
  }
}

export interface FinishResult {
  outcome: Outcome;
  /** False when the gid was no longer prepared: finished earlier, by us or by another replica. */
  changed: boolean;
}

/**
 * Applies a decision to one prepared branch. Idempotent: when the gid is no longer
 * prepared, the branch's own row in trx_branch says how it ended (present = committed).
 * Runs on any pooled connection of the service's database — a prepared transaction
 * belongs to the database, not to the session that prepared it (the runtime's FinisherPool).
 */
export async function finishBranch(
  db: Queryable,
  logger: Logger,
  ids: { transactionId: string; branchId?: string; gid: string },
  decision: Decision,
): Promise<FinishResult> {
  const verb = decision === 'commit' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
  try {
    await db.query(`${verb} ${gidLiteral(ids.gid)}`);
    return { outcome: decision === 'commit' ? 'committed' : 'rolled-back', changed: true };
  } catch (err) {
    const code = pgCode(err);
    if (isBusy(err)) throw new BranchBusyError(ids.gid);
    if (code !== PgCodes.undefinedObject) throw err;
  }
  const committed = await branchRowExists(db, ids.gid);
  const outcome: Outcome = committed ? 'committed' : 'rolled-back';
  const log = logger.child({ transactionId: ids.transactionId, branchId: ids.branchId, gid: ids.gid });
  if (decision === 'commit' && !committed) {
    // The coordinator decided commit, yet this branch is gone without its row: it was
    // rolled back (by hand, or by a bug). Nothing can repair it here; say so loudly.
    log.error({ decision, outcome }, 'ATOMICITY ALARM: commit decided but the branch was rolled back');
  } else if (decision === 'rollback' && committed) {
    log.error({ decision, outcome }, 'ATOMICITY ALARM: rollback decided but the branch was committed');
  } else {
    log.debug({ decision, outcome }, 'branch already finished');
  }
  return { outcome, changed: false };
}

/** ROLLBACK PREPARED that tolerates a gid already gone (used when our own vote was refused). */
export async function rollbackPrepared(db: Queryable, gid: string): Promise<void> {
  try {
    await db.query(`ROLLBACK PREPARED ${gidLiteral(gid)}`);
  } catch (err) {
    if (pgCode(err) !== PgCodes.undefinedObject) throw err;
  }
}

/**
 * "prepared transaction with identifier ... is busy": Postgres raises it with SQLSTATE 55000
 * (object_not_in_prerequisite_state, twophase.c LockGXact), not 55006, so the code alone
 * is not enough; the chaos run saw it whenever a decision met the order-service finishing
 * its own branch.
 */
export function isBusy(err: unknown): boolean {
  const code = pgCode(err);
  if (code === PgCodes.objectInUse) return true;
  return code === PgCodes.objectNotInPrerequisiteState && /is busy/.test(String((err as Error).message));
}
