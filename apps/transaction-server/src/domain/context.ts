import type { Pool } from 'pg';
import type { Logger } from '@trx/logging';
import type { Decision } from '@trx/protocol';
import type { Announcement } from './event-builder';
import type { ForeignParticipants } from './foreign-participants';

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
  /**
   * `decision`: one lifecycle event per transaction, at its decision (the default). `all`:
   * also `transaction.begun` at an explicit begin and one more when every branch acknowledged.
   */
  lifecycleEvents: 'decision' | 'all';
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
  /**
   * Called after a local transaction committed: publish the outbox rows it wrote and
   * announce the decisions it wrote (the publisher; the re-publish covers a crash before it).
   */
  afterCommit(outboxIds: string[], announcements?: Announcement[]): void;
  metrics: CoordinatorMetrics;
  logger: Logger;
  /** Participants outside the protocol (the Spring-compatible API's), through their port. */
  foreign: ForeignParticipants;
}
