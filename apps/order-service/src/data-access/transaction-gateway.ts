import type { Logger } from '@trx/logging';
import type { CommitEvent, CoordinatorApi, EnlistedBranch, TransactionView } from '@trx/protocol';
import type { TransactionGateway } from '../domain/ports';
import { CoordinatorUnreachableError, TransactionRolledBackError } from '../domain/order-errors';

const UNREACHABLE = new Set(['CoordinatorUnavailableError', 'NoInstancesError']);
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
        if (!UNREACHABLE.has((err as Error).name) || delay === undefined) throw translate(err);
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
      if ((err as Error).name === 'TransactionConflictError' && codeOf(err) === 'transaction-rolled-back')
        return;
      throw err;
    }
  }
}

function translate(err: unknown): Error {
  const name = (err as Error).name;
  if (UNREACHABLE.has(name)) return new CoordinatorUnreachableError((err as Error).message);
  if (name === 'TransactionConflictError' && codeOf(err) === 'transaction-rolled-back') {
    return new TransactionRolledBackError((err as Error).message);
  }
  return err as Error;
}

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}
