import type { Logger } from '@trx/logging';
import type { Decision } from '@trx/protocol';
import { finishBranch, type FinishResult } from './branch-finisher';
import type { OutcomeBatcher } from './outcome-batcher';
import type { Queryable } from './branch-sql';

export interface BranchIds {
  transactionId: string;
  gid: string;
  branchId?: string;
}

export interface FinishingBranchesOptions {
  /** The runtime's finisher pool. */
  db: Queryable;
  logger: Logger;
  batcher: OutcomeBatcher;
  /** After each COMMIT/ROLLBACK PREPARED that ended a prepared branch (not one found finished already). */
  onEnded?: () => void;
}

interface Running {
  decision: Decision;
  done: Promise<FinishResult>;
}

/**
 * Every COMMIT/ROLLBACK PREPARED of the runtime goes through here, one at a time per gid in
 * this process: a decision message for a gid that finish() (or another delivery, or
 * recovery) is finishing right now waits for that finish instead of running beside it,
 * which Postgres refuses with "prepared transaction ... is busy". The finish that runs
 * queues the acknowledgement; those that waited for it add none.
 */
export class FinishingBranches {
  private readonly running = new Map<string, Running>();

  constructor(private readonly o: FinishingBranchesOptions) {}

  /**
   * Applies `decision` to the branch. `acknowledge: false` when the coordinator does not
   * know the branch (it would reject the acknowledgement). Resolves with `changed: false`
   * when another finish in this process did the work.
   */
  async finish(ids: BranchIds, decision: Decision, acknowledge = true): Promise<FinishResult> {
    const running = this.running.get(ids.gid);
    if (running) {
      this.o.logger.debug(
        { transactionId: ids.transactionId, gid: ids.gid, decision },
        'waiting for the finish of this branch in progress',
      );
      const result = await running.done;
      // Two decisions for one gid: let finishBranch find how it ended and raise the alarm.
      if (running.decision !== decision) return this.finish(ids, decision, acknowledge);
      return { ...result, changed: false };
    }
    const done = this.finishAndAcknowledge(ids, decision, acknowledge);
    this.running.set(ids.gid, { decision, done });
    try {
      return await done;
    } finally {
      this.running.delete(ids.gid);
    }
  }

  private async finishAndAcknowledge(
    ids: BranchIds,
    decision: Decision,
    acknowledge: boolean,
  ): Promise<FinishResult> {
    const result = await finishBranch(this.o.db, this.o.logger, ids, decision);
    if (result.changed) this.o.onEnded?.();
    if (acknowledge) {
      this.o.batcher.add({ transactionId: ids.transactionId, gid: ids.gid, outcome: result.outcome });
    }
    return result;
  }
}
