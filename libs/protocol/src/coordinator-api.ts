import type {
  BeginRequest,
  BranchView,
  CommitRequest,
  EnlistedBranch,
  OutcomeBatchRequest,
  OutcomeBatchResponse,
  ListTransactionsQuery,
  ListTransactionsResponse,
  OutcomeRequest,
  ResolveRequest,
  RegisterBranchRequest,
  TransactionView,
  VoteRequest,
} from './api';

/**
 * What a client of the coordinator can do. `@trx/coordinator-client` implements it over
 * HTTP; tests and the participant runtime depend on this interface only.
 * Protocol failures are thrown as the typed errors of `@trx/coordinator-client`, recognised
 * with the guards of coordinator-errors.ts (isTransactionNotFound, isTransactionConflict,
 * isRejectedRequest, isCoordinatorUnavailable).
 */
export interface CoordinatorApi {
  begin(request?: BeginRequest): Promise<TransactionView>;
  get(transactionId: string): Promise<TransactionView>;
  /** How a transaction ended, tombstoning an unknown one past its deadline (see ResolveRequest). */
  resolve(transactionId: string, request: ResolveRequest): Promise<TransactionView>;
  list(query?: ListTransactionsQuery): Promise<ListTransactionsResponse>;
  registerBranch(transactionId: string, request: RegisterBranchRequest): Promise<BranchView>;
  vote(transactionId: string, branchId: string, request: VoteRequest): Promise<BranchView>;
  recordOutcome(transactionId: string, branchId: string, request: OutcomeRequest): Promise<BranchView>;
  /** Acknowledges finished branches in one call (see OutcomeBatchRequest). */
  recordOutcomes(request: OutcomeBatchRequest): Promise<OutcomeBatchResponse>;
  /**
   * Resolves with the committed (committing) transaction; rejects with TransactionConflictError
   * when it rolled back. `request.branches`: prepared branches the initiator enlists with the commit.
   */
  commit(transactionId: string, request?: CommitRequest): Promise<TransactionView>;
  rollback(transactionId: string, reason?: string, branches?: EnlistedBranch[]): Promise<TransactionView>;
}
