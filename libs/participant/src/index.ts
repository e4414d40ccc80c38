/**
 * @trx/participant — the participant runtime. A service's handler writes only its
 * business logic; the runtime makes it a branch of a distributed transaction: a local
 * Postgres transaction that records the branch in `trx_branch` and ends with
 * `PREPARE TRANSACTION` (the durable yes-vote), a vote recorded by the coordinator before
 * the handler answers, decisions applied from the service's queue on `trx-events`
 * (idempotently, by any replica), and recovery of prepared branches on start and
 * periodically (presumed abort for transactions the coordinator never heard of).
 *
 * @example
 *   const participant = await Participant.start({
 *     service: 'account-service', instance: 'account-service-1',
 *     dataSource, coordinator, broker, logger,
 *     coordinatorBrokerUser: 'trx-coordinator', // decisions from any other broker user are dead-lettered
 *   });
 *   // In an HTTP handler: a branch when the x-transaction-id header is present, else a local commit.
 *   const balance = await participant.run(req.header(TRANSACTION_HEADER), (manager) =>
 *     withdraw(manager, accountId, cents),
 *   );
 *   // A branch the caller enlists with its commit: prepared, not registered; the gid goes back to it.
 *   await participant.run(txId, work, { enlistedByCaller: true, onPrepared: (gid) => res.set(BRANCH_HEADER, gid) });
 *   // Work that is known statements: BEGIN, the statements, row + PREPARE in one round trip.
 *   await participant.runStatementsAsBranch(txId, [{ text: 'INSERT INTO orders (id) VALUES ($1)', values: [id] }], {
 *     enlistedByCaller: true, onPrepared: (g) => (gid = g),
 *   });
 *   // The initiator's own branch, once the coordinator answered its commit (acknowledged in batches):
 *   await participant.finish(txId, gid, 'commit');
 *   // Map runtime refusals and outages to HTTP in one place:
 *   const answer = participantErrorAnswer(err); // { httpStatus: 409, body: { error: 'transaction-decided', ... } }
 *   await participant.stop();
 */
export {
  Participant,
  DEFAULT_COORDINATOR_BROKER_USER,
  DEFAULT_OUTCOME_LINGER_MS,
  type ParticipantOptions,
} from './participant';
export {
  verifyDecision,
  type RejectReason,
  type EntryRejectReason,
  type PoisonEntry,
  type Verdict,
} from './decision-verification';
export { DEFAULT_DECISION_CONCURRENCY, type DecisionRejectReason } from './decision-consumer';
export type { BranchOptions } from './branch-runner';
export type { BranchStatement, StatementResult } from './statements-branch';
export type { FinishResult } from './branch-finisher';
export type { RecoveryReport } from './recovery';
export type { RetentionReport } from './branch-retention';
export type {
  ParticipantBroker,
  DecisionMessage,
  DeadLetterMessage,
  ConsumeResult,
  ConsumerHandle,
} from './ports';
export {
  ParticipantError,
  BranchRefusedError,
  UnknownTransactionError,
  InvalidTransactionIdError,
  TooManyPreparedError,
  LockTimeoutError,
  StatementTimeoutError,
  TooManyBranchesError,
  CoordinatorUnreachableError,
  ParticipantStoppedError,
  ForeignBranchError,
  CallerGoneError,
  participantErrorAnswer,
  isBranchRefused,
  isCoordinatorUnreachable,
  isTooManyPrepared,
  isUnknownTransaction,
  type ErrorAnswer,
} from './errors';
export { BRANCH_TABLE } from './branch-sql';
export { PreparedTransactionsDisabledError } from '@trx/db';
