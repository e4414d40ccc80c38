/**
 * @trx/test-support — what integration tests share: a database per test file, unique
 * names, waiting for an outcome with a deadline, capturing what reached an exchange.
 * Tests only; no app depends on it.
 *
 * @example
 *   const dbUrl = await createTestDatabase('trx_account');
 *   const capture = await EventCapture.start(testInfra().amqpUrl, exchange);
 *   await waitFor(() => capture.withKey('transaction.committed').length === 1 || undefined);
 */
export * from './infra';
export * from './wait-for';
export * from './event-capture';
export * from './database-queries';
export * from './broker-connections';
export * from './statement-recorder';
export * from './credentials';
export { listPrepared } from '@trx/db';
