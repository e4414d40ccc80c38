import type { BranchStatus, Decision, TransactionStatus } from './statuses';

/** HTTP header that carries the distributed transaction id to every participant call. */
export const TRANSACTION_HEADER = 'x-transaction-id';

/** Default transaction timeout when `POST /v1/transactions` does not give one. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface BranchView {
  id: string;
  transactionId: string;
  service: string;
  instance: string;
  gid: string;
  status: BranchStatus;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TransactionView {
  id: string;
  status: TransactionStatus;
  /** Present once decided. */
  decision: Decision | null;
  reason: string | null;
  timeoutMs: number;
  /** ISO time after which an active transaction is rolled back. */
  deadline: string;
  createdAt: string;
  updatedAt: string;
  branches: BranchView[];
}

/** `POST /v1/transactions` */
export interface BeginRequest {
  timeoutMs?: number;
  /** Free text that names who began it (e.g. `order-service`). */
  initiator?: string;
}

/**
 * `POST /v1/transactions/{id}/branches` — join a transaction. With `vote`, the branch is
 * registered already voted (one round trip for a participant that prepared first).
 * Answers 201 with the BranchView; 409 `transaction-decided` when the transaction is no
 * longer active (the participant must roll its branch back); 409 `duplicate-gid` when
 * the gid belongs to another branch. Re-sending the same gid and vote is idempotent (200).
 */
export interface RegisterBranchRequest {
  service: string;
  instance: string;
  gid: string;
  vote?: Vote;
  reason?: string;
}

export type Vote = 'yes' | 'no';

/** `PUT /v1/transactions/{id}/branches/{branchId}/vote` */
export interface VoteRequest {
  vote: Vote;
  reason?: string;
}

/** `PUT /v1/transactions/{id}/branches/{branchId}/outcome` — the participant's acknowledgement. */
export interface OutcomeRequest {
  outcome: 'committed' | 'rolled-back';
}

/** `POST /v1/transactions/{id}/rollback` */
export interface RollbackRequest {
  reason?: string;
}

/**
 * `POST /v1/transactions/{id}/commit` answers 200 with the transaction when the decision
 * is commit, and 409 `transaction-rolled-back` (body carries `status` and `details`
 * with the transaction) when it is, or already was, rollback.
 */
export interface ListTransactionsQuery {
  status?: TransactionStatus;
  limit?: number;
  offset?: number;
}

export interface ListTransactionsResponse {
  items: TransactionView[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * The error body every trx HTTP API answers with: a stable kebab-case code, a message
 * for humans, optional details, and for protocol conflicts the current status.
 */
export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
  status?: string;
  retryable?: boolean;
}
