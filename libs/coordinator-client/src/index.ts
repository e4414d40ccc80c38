/**
 * @trx/coordinator-client — the transaction-server's REST API as a `CoordinatorApi`, over
 * a discovery ServiceCaller (round robin over coordinator replicas, failover on connect
 * errors). Every refusal is a typed error: TransactionNotFoundError (404),
 * TransactionConflictError (409, with the current status), InvalidRequestError (400),
 * CoordinatorUnavailableError (unreachable, timeout, 5xx; retryable).
 *
 * @example
 *   const coordinator = createCoordinatorClient({ caller: createServiceCaller({ directory }) });
 *   const tx = await coordinator.begin({ timeoutMs: 10_000, initiator: 'order-service' });
 *   try { await coordinator.commit(tx.id); }
 *   catch (err) { if ((err as Error).name === 'TransactionConflictError') ...rolled back... }
 */
export { createCoordinatorClient, type CoordinatorClientOptions } from './coordinator-client';
export * from './errors';
