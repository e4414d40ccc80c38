/**
 * @trx/coordinator-client — the transaction-server's REST API as a `CoordinatorApi`, over
 * a discovery ServiceCaller (round robin over coordinator replicas, failover on connect
 * errors). Every refusal is a typed error: TransactionNotFoundError (404),
 * TransactionConflictError (409, with the current status), CoordinatorRejectedRequestError
 * (400/422), CoordinatorUnavailableError (unreachable, timeout, 5xx; retryable). Recognise
 * them with the guards (by name: two copies of a library can exist in a workspace).
 *
 * @example
 *   const coordinator = createCoordinatorClient({ caller: createServiceCaller({ directory }) });
 *   const tx = await coordinator.begin({ timeoutMs: 10_000, initiator: 'order-service' });
 *   try { await coordinator.commit(tx.id); }
 *   catch (err) { if (isTransactionConflict(err, COORDINATOR_CODES.transactionRolledBack)) ...rolled back... }
 */
export { createCoordinatorClient, type CoordinatorClientOptions } from './coordinator-client';
export * from './errors';
export {
  COORDINATOR_CODES,
  COORDINATOR_ERRORS,
  errorCodeOf,
  isCoordinatorUnavailable,
  isRejectedRequest,
  isTransactionConflict,
  isTransactionNotFound,
} from '@trx/protocol';
