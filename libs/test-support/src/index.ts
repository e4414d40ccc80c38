/**
 * @trx/test-support — what integration tests share: a database per test file, unique
 * names, waiting for an outcome with a deadline, capturing what reached an exchange.
 * Tests only; no app depends on it, and it depends on no app (a harness that needs one, like
 * `startTestCoordinator`, is handed it by the test).
 *
 * @example
 *   const dbUrl = await createTestDatabase('trx_account');
 *   const capture = await EventCapture.start(testInfra().amqpUrl, exchange);
 *   await waitFor(() => capture.withKey('transaction.committed').length === 1 || undefined);
 *   // Someone else's broker credentials, for a test of what they can (not) do:
 *   const mallory = await createBrokerUser({ topic: { exchange, write: '^order\\.', read: '.*' } });
 *   await amqp.connect(mallory.amqpUrl); ... await mallory.remove();
 */
export * from './infra';
export * from './wait-for';
export * from './event-capture';
export * from './database-queries';
export * from './broker-connections';
export * from './broker-users';
export { managementApi } from './management-api';
export * from './statement-recorder';
export * from './socket-writes';
export * from './metrics-text';
export * from './credentials';
export * from './log-tap';
export * from './service-calls';
export * from './service-harness';
export * from './browser';
export { listPrepared } from '@trx/db';
