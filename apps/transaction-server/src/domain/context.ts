import type { Pool } from 'pg';
import type { Logger } from '@trx/logging';
import type { Decision } from '@trx/protocol';

export interface CoordinatorSettings {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  republishAfterMs: number;
  republishMaxMs: number;
}

/** What the use cases count; the metrics entry point implements it with prom-client. */
export interface CoordinatorMetrics {
  begun(): void;
  decided(decision: Decision, reason: string | null, secondsSinceBegin: number): void;
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
