import type { Logger } from '@trx/logging';
import {
  COORDINATOR_CODES,
  type CoordinatorApi,
  type Decision,
  decisionOf,
  isTransactionNotFound,
  parseGid,
  type TransactionView,
} from '@trx/protocol';
import { listPreparedBefore, type Queryable } from './branch-sql';
import type { FinishingBranches } from './finishing-branches';
import { messageOf } from './errors';

export interface RecoveryReport {
  committed: number;
  rolledBack: number;
  /** Left prepared: still undecided, or the coordinator could not be asked. */
  pending: number;
}

export interface RecoveryOptions {
  service: string;
  /** Where prepared transactions are listed (the runtime's finisher pool). */
  db: Queryable;
  /** Finishes beside the decision consumer and finish(), never racing them on a gid. */
  branches: FinishingBranches;
  coordinator: CoordinatorApi;
  logger: Logger;
  clock: () => Date;
  /** Only branches prepared at least this long ago: younger ones may still be voting. */
  minAgeMs: number;
}

/**
 * Finishes this service's prepared transactions by asking the coordinator how each ended
 * (`resolve`): after a crash, a lost decision message, or a vote the coordinator never
 * received. A transaction the coordinator never heard of is decided by the coordinator, not
 * by our clock: it answers `active` while the transaction's deadline has not passed (left
 * prepared) and tombstones it `rolled-back` past it (presumed abort).
 */
export async function recoverOnce(o: RecoveryOptions): Promise<RecoveryReport> {
  const report: RecoveryReport = { committed: 0, rolledBack: 0, pending: 0 };
  const before = new Date(o.clock().getTime() - o.minAgeMs);
  const gids = await listPreparedBefore(o.db, o.service, before);
  for (let i = 0; i < gids.length; i++) {
    const gid = gids[i]!;
    const transactionId = parseGid(gid)?.transactionId;
    if (!transactionId) {
      o.logger.error({ gid }, 'prepared gid with our prefix but unparseable; left alone');
      report.pending++;
      continue;
    }
    const verdict = await askCoordinator(o, transactionId, gid);
    if (verdict === 'unreachable') {
      report.pending += gids.length - i; // no use asking again for the rest this round
      break;
    }
    if (verdict === 'pending') {
      report.pending++;
      continue;
    }
    const done = await finish(o, { transactionId, gid, branchId: verdict.branchId }, verdict.decision);
    if (done === 'committed') report.committed++;
    else if (done === 'rolled-back') report.rolledBack++;
    else report.pending++;
  }
  if (gids.length > 0) o.logger.info({ ...report }, 'recovery round finished');
  return report;
}

type Verdict = 'pending' | 'unreachable' | { decision: Decision; branchId?: string };

async function askCoordinator(o: RecoveryOptions, transactionId: string, gid: string): Promise<Verdict> {
  let view: TransactionView;
  try {
    view = await o.coordinator.resolve(transactionId, { gid });
  } catch (err) {
    if (isPresumedAbort(err)) return { decision: 'rollback' };
    o.logger.warn({ transactionId, gid, err: messageOf(err) }, 'recovery could not ask the coordinator');
    return 'unreachable';
  }
  const branch = view.branches.find((b) => b.gid === gid);
  const decision = decisionOf(view.status);
  if (!decision) return 'pending'; // still active: its decision (or its timeout) will come
  // A decided transaction that never counted this branch decided without it: roll it back.
  if (!branch) return { decision: 'rollback' };
  return { decision, branchId: branch.id };
}

/**
 * Only the coordinator's own "no such transaction" is a presumed abort. Any other 404 — a
 * coordinator from before `resolve` has no such route, a proxy in between has no such
 * service — says nothing about the transaction, and rolling back on it could undo a branch
 * of a committed one.
 */
function isPresumedAbort(err: unknown): boolean {
  return isTransactionNotFound(err, COORDINATOR_CODES.transactionNotFound);
}

async function finish(
  o: RecoveryOptions,
  ids: { transactionId: string; gid: string; branchId?: string },
  decision: Decision,
): Promise<'committed' | 'rolled-back' | 'failed'> {
  const log = o.logger.child(ids);
  try {
    // Acknowledged only to a coordinator that knows the branch; it would reject the others.
    const { outcome } = await o.branches.finish(ids, decision, ids.branchId !== undefined);
    log.info({ decision, outcome }, 'recovery finished branch');
    return outcome;
  } catch (err) {
    log.warn({ err: messageOf(err), decision }, 'recovery could not finish branch; next round retries');
    return 'failed';
  }
}
