import type { Pool } from 'pg';
import type { Logger } from '@trx/logging';
import type { Decision } from '@trx/protocol';

export interface CoordinatorSettings {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  republishAfterMs: number;
  republishMaxMs: number;
  /** Re-publishes before a transaction is marked in-doubt. */
  republishMaxAttempts: number;
  /** Services that may hold branches; `*` in the list = any. */
  participantServices: string[];
  maxBranches: number;
  retentionMs: number;
  retentionBatch: number;
}

/** What the use cases count; the metrics entry point implements it with prom-client. */
export interface CoordinatorMetrics {
  begun(): void;
  decided(decision: Decision, reason: string | null, secondsSinceBegin: number): void;
  /** A request refused by a cap or a bound (too-many-branches, unknown-service). */
  refused(reason: string): void;
  /** Decisions re-published this round, one per transaction. */
  republished(count: number): void;
  /** A transaction marked in-doubt after its last re-publish. */
  inDoubt(): void;
}

/** Everything a use case needs, passed in so tests can swap the clock. */
export interface CoordinatorContext {
  pool: Pool;
  /** Sessions with synchronous_commit off, for writes a crash may lose harmlessly (data-access createAsyncPool). */
  asyncPool: Pool;
  clock: () => Date;
  settings: CoordinatorSettings;
  /** Called after a local transaction that wrote outbox rows committed: publish them now. */
  afterCommit(outboxIds: string[]): void;
  metrics: CoordinatorMetrics;
  logger: Logger;
}
