import type { BranchRecord, TransactionRecord } from '../data-access';
import type { ForeignParticipants } from './foreign-participants';
import { unacknowledged } from './sweeper';

/** Why a transaction needs a look, as the console shows it; `kind` is stable, `reason` is for people. */
export interface StuckReason {
  kind: 'timed-out' | 'unacknowledged' | 'in-doubt';
  reason: string;
  /** The services whose branches the transaction waits for (empty for timed-out). */
  services: string[];
}

/**
 * Whether a transaction is stuck, and why, at `now`:
 * - active past its deadline: the sweeper's next round rolls it back (or an operator now);
 * - decided and marked in-doubt: re-published the most times, still unacknowledged;
 * - decided longer ago than the first re-publish is due (`republishAfterMs`) and some branch
 *   has not acknowledged: a participant is slow, down, or lost the decision.
 * Undefined when nothing is wrong (yet). The console's `stuck` filter asks the same of
 * Postgres (listTransactions' `stuck`): change both together.
 */
export function stuckReasonOf(
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
  republishAfterMs: number,
  foreign: ForeignParticipants,
): StuckReason | undefined {
  if (t.status === 'active') {
    const late = now.getTime() - t.deadline.getTime();
    if (late < 0) return undefined;
    return {
      kind: 'timed-out',
      reason: `timed out ${seconds(late)} s ago; the sweeper will roll it back`,
      services: [],
    };
  }
  if (t.status !== 'committing' && t.status !== 'rolling-back') return undefined;
  const services = [...new Set(unacknowledged(branches, foreign).map((b) => b.service))];
  if (t.inDoubtSince) {
    return {
      kind: 'in-doubt',
      reason:
        `in doubt for ${seconds(now.getTime() - t.inDoubtSince.getTime())} s: ` +
        `re-published ${t.republishCount} times without ${named(services)}'s acknowledgement`,
      services,
    };
  }
  const waited = now.getTime() - (t.decidedAt ?? t.updatedAt).getTime();
  if (services.length === 0 || waited < republishAfterMs) return undefined;
  return {
    kind: 'unacknowledged',
    reason: `${named(services)} ${services.length > 1 ? 'have' : 'has'} not acknowledged for ${seconds(waited)} s`,
    services,
  };
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function named(services: string[]): string {
  return services.length === 0 ? 'any service' : services.join(' and ');
}
