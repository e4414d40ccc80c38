import type { Logger } from '@trx/logging';
import { isNoInstances } from '@trx/discovery';
import {
  COORDINATOR_CODES,
  isCoordinatorUnavailable,
  isTransactionConflict,
  type CommitEvent,
  type CoordinatorApi,
  type EnlistedBranch,
  type TransactionView,
} from '@trx/protocol';
import type { TransactionGateway } from '../domain/ports';
import { CoordinatorUnreachableError, TransactionRolledBackError } from '../domain/order-errors';

/** Pauses between commit attempts: commit is idempotent, and an unanswered commit leaves the order in doubt. */
const COMMIT_RETRY_DELAYS_MS = [100, 400];

/** The coordinator as order-service uses it; translates client errors into domain errors. */
export class CoordinatorTransactionGateway implements TransactionGateway {
  constructor(
    private readonly coordinator: CoordinatorApi,
    private readonly logger: Logger,
  ) {}

  async commit(
    transactionId: string,
    branches: EnlistedBranch[],
    events: CommitEvent[],
  ): Promise<TransactionView> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.coordinator.commit(transactionId, { branches, events });
      } catch (err) {
        const delay = COMMIT_RETRY_DELAYS_MS[attempt];
        if (!isUnreachable(err) || delay === undefined) throw translate(err);
        this.logger.warn({ transactionId, attempt, err }, 'commit unanswered; asking again');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async rollback(transactionId: string, reason: string, branches: EnlistedBranch[]): Promise<void> {
    try {
      await this.coordinator.rollback(transactionId, reason, branches);
    } catch (err) {
      // Already rolled back (a participant's no-vote or the timeout got there first): fine.
      if (isRolledBack(err)) return;
      throw err;
    }
  }
}

function translate(err: unknown): Error {
  if (isUnreachable(err)) return new CoordinatorUnreachableError((err as Error).message);
  if (isRolledBack(err)) return new TransactionRolledBackError((err as Error).message);
  return err as Error;
}

/** The coordinator did not answer, or no instance of it is known. */
function isUnreachable(err: unknown): boolean {
  return isCoordinatorUnavailable(err) || isNoInstances(err);
}

function isRolledBack(err: unknown): boolean {
  return isTransactionConflict(err, COORDINATOR_CODES.transactionRolledBack);
}
