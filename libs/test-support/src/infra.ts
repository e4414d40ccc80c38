import { randomBytes } from 'node:crypto';
import { ensureDatabase, dropDatabase, withDatabase } from '@trx/db';

/**
 * Where the tests find Postgres, RabbitMQ and RabbitMQ's management API: the local services
 * by default (the path that runs on our machines), or the containers `jest.global-setup.ts`
 * started when TRX_TESTCONTAINERS=1 (libs/test-support/src/containers.ts).
 */
export function testInfra(): { pgUrl: string; amqpUrl: string; rabbitApiUrl: string } {
  return {
    pgUrl: process.env.TRX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    amqpUrl: process.env.TRX_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    rabbitApiUrl: process.env.TRX_TEST_RABBITMQ_API_URL ?? 'http://127.0.0.1:15672',
  };
}

/** A short random name, unique across parallel test files: `prefix_ab12cd34`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Creates a fresh database for one test file and returns its URL. */
export async function createTestDatabase(prefix = 'trx_test'): Promise<string> {
  const url = withDatabase(testInfra().pgUrl, uniqueName(prefix));
  await ensureDatabase(url);
  return url;
}

/** Drops a test database (rolling back whatever it still holds prepared). */
export async function dropTestDatabase(url: string): Promise<void> {
  await dropDatabase(url);
}
