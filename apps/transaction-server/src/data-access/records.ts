import type { BranchStatus, CommitEvent, Decision, TransactionStatus } from '@trx/protocol';

/** Plain records the repositories return: one per row, camelCase, Dates for timestamps. */
export interface TransactionRecord {
  id: string;
  status: TransactionStatus;
  decision: Decision | null;
  reason: string | null;
  initiator: string | null;
  compat: boolean;
  timeoutMs: number;
  deadline: Date;
  createdAt: Date;
  updatedAt: Date;
  decidedAt: Date | null;
  nextRepublishAt: Date | null;
  republishCount: number;
  /** Set when the last re-publish went unacknowledged: an operator's turn (docs/architecture.md, "In-doubt transactions"). */
  inDoubtSince: Date | null;
  /** The decision's lifecycle event and the initiator's events are published (broker-confirmed). */
  announced: boolean;
  /** Events the initiator handed over with its commit, published with a commit decision. */
  events: CommitEvent[] | null;
}

export interface BranchRecord {
  id: string;
  transactionId: string;
  service: string;
  instance: string;
  gid: string;
  status: BranchStatus;
  reason: string | null;
  /** Enlisted by an initiator that runs COMMIT/ROLLBACK PREPARED itself: no decision message at decision time. */
  finishedByCaller: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface OutboxRecord {
  id: string;
  routingKey: string;
  body: unknown;
  attempts: number;
}

/** Anything that runs parameterised SQL: the pool, or a client inside a transaction. */
export interface Db {
  query(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

export function toTransaction(r: Record<string, unknown>): TransactionRecord {
  return {
    id: r.id as string,
    status: r.status as TransactionStatus,
    decision: (r.decision as Decision | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    initiator: (r.initiator as string | null) ?? null,
    compat: Boolean(r.compat),
    timeoutMs: Number(r.timeout_ms),
    deadline: r.deadline as Date,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    decidedAt: (r.decided_at as Date | null) ?? null,
    nextRepublishAt: (r.next_republish_at as Date | null) ?? null,
    republishCount: Number(r.republish_count ?? 0),
    inDoubtSince: (r.in_doubt_since as Date | null) ?? null,
    announced: r.announced === undefined ? true : Boolean(r.announced),
    events: (r.events as CommitEvent[] | null) ?? null,
  };
}

export function toBranch(r: Record<string, unknown>): BranchRecord {
  return {
    id: r.id as string,
    transactionId: r.transaction_id as string,
    service: r.service as string,
    instance: r.instance as string,
    gid: r.gid as string,
    status: r.status as BranchStatus,
    reason: (r.reason as string | null) ?? null,
    finishedByCaller: Boolean(r.finished_by_caller),
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}
