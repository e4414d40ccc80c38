import type { BranchStatus, Decision, TransactionStatus } from './statuses';

/** HTTP header that carries the distributed transaction id to every participant call. */
export const TRANSACTION_HEADER = 'x-transaction-id';
/** HTTP header: the service that initiated the transaction (its first word names it). */
export const INITIATOR_HEADER = 'x-transaction-initiator';

/**
 * Request header: the caller (the initiator) enlists the branch itself. The participant
 * prepares as usual but does not register with the coordinator; it answers with the
 * branch's gid in BRANCH_HEADER, and the initiator hands that gid to the coordinator with
 * its commit or rollback. The vote travels inside the decision request, so the coordinator
 * still can't decide commit without it — and a branch that never reaches the coordinator
 * is rolled back by the participant's recovery (the transaction ends without it).
 * The only value is `initiator`; without the header a participant registers itself.
 */
export const ENLIST_HEADER = 'x-transaction-enlist';
export const ENLIST_BY_INITIATOR = 'initiator';
/** Response header: the gid of the branch a participant prepared (with ENLIST_HEADER only). */
export const BRANCH_HEADER = 'x-transaction-branch';

/**
 * The coordinator's default transaction timeout (TRX_DEFAULT_TIMEOUT_MS): of a begin that
 * gives none, and of every transaction nobody began (protocol v2), whose deadline is its
 * id's time plus this.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

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
  /** Present (true) on a branch enlisted with `finishedByCaller`. */
  finishedByCaller?: boolean;
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
  /**
   * Present once the decision was re-published the most times (TRX_REPUBLISH_MAX_ATTEMPTS)
   * and some branch still did not acknowledge: an operator must look. The status stays
   * committing / rolling-back; a late acknowledgement still ends it.
   */
  inDoubtSince?: string;
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
  /**
   * The service that initiated the transaction (the X-Transaction-Initiator header the
   * participant was called with); used only when this registration is the first the
   * coordinator hears of the transaction (protocol v2: no begin round trip).
   */
  initiator?: string;
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

/**
 * A prepared branch the initiator enlists with its commit or rollback: its yes-vote.
 * `finishedByCaller`: the initiator runs COMMIT/ROLLBACK PREPARED itself once answered
 * and acknowledges with `POST /v1/outcomes`; no decision message is sent for it unless
 * it has not acknowledged when the decision is re-published.
 */
export interface EnlistedBranch {
  service: string;
  gid: string;
  instance?: string;
  finishedByCaller?: boolean;
}

/**
 * An event the initiator hands over with its commit: the coordinator publishes it, with the
 * decision, only if the decision is commit (e.g. order-service's `order.confirmed`), so
 * "published if and only if committed" needs no outbox at the initiator. The routing key's
 * first word must be the initiator's own (`order-service` → `order.…`); `messageId` becomes
 * the AMQP message_id.
 */
export interface CommitEvent {
  routingKey: string;
  /** Any JSON object with a `messageId` (a uuid). */
  body: { messageId: string };
}

/** Events one commit may carry at most. */
export const MAX_COMMIT_EVENTS = 8;

/**
 * `POST /v1/transactions/{id}/commit`. The transaction need not be begun: a time-ordered id
 * (UUIDv7) the coordinator has not seen yet is created by its first commit, rollback or
 * branch registration, with the caller as initiator and the deadline `id time + the
 * coordinator's default timeout` (DEFAULT_TIMEOUT_MS unless configured).
 */
export interface CommitRequest {
  branches?: EnlistedBranch[];
  events?: CommitEvent[];
}

/**
 * `POST /v1/transactions/{id}/resolve` — a participant's recovery asking how a transaction
 * of one of its prepared branches ended. Answers the TransactionView. For a transaction the
 * coordinator never heard of: while its deadline has not passed, a view with status
 * `active` and no branches (nothing is written: ask again later); past it, the coordinator
 * records it rolled back first (a tombstone, reason `presumed-abort`), so a commit that
 * arrives later finds it decided — presumed abort with no reliance on clocks agreeing.
 */
export interface ResolveRequest {
  /** The asking service's branch; its service must be the caller. */
  gid: string;
}

/** The reason a tombstoned transaction carries. */
export const PRESUMED_ABORT = 'presumed-abort';

/** `POST /v1/transactions/{id}/rollback` */
export interface RollbackRequest {
  reason?: string;
  branches?: EnlistedBranch[];
}

export type Outcome = 'committed' | 'rolled-back';

/**
 * `POST /v1/outcomes` — acknowledgements of finished branches in one call, by gid
 * (a participant's decision consumer sends what it finished in the last few ms).
 * Recorded with asynchronous commit: a lost acknowledgement only re-publishes a decision.
 */
export interface OutcomeBatchRequest {
  outcomes: { transactionId: string; gid: string; outcome: Outcome }[];
}

export interface OutcomeBatchResponse {
  /** Branches whose outcome was recorded now or earlier. */
  recorded: number;
  /** gids the coordinator does not know, or whose outcome contradicts the decision (logged there). */
  rejected: { gid: string; error: string }[];
}

/**
 * `POST /v1/transactions/{id}/commit` answers 200 with the transaction when the decision
 * is commit, and 409 `transaction-rolled-back` (body carries `status` and `details`
 * with the transaction) when it is, or already was, rollback.
 */
export interface ListTransactionsQuery {
  status?: TransactionStatus;
  /** Items per page: default 20, at most 100. */
  limit?: number;
  /** The `next` of the previous page; absent for the first (newest) page. */
  cursor?: string;
}

/** A page of a list, newest first: `next` is the opaque cursor of the next page, null on the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export type ListTransactionsResponse = Page<TransactionView>;

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
