import type { Config } from 'jest';

/**
 * One jest run for the whole workspace. `*.test.ts` are unit tests, `*.int.test.ts`
 * integration tests against the real Postgres and RabbitMQ; every test file makes its own
 * databases, exchange and queues, so files run in parallel without seeing each other.
 */
const config: Config = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/libs',
    '<rootDir>/apps',
    '<rootDir>/scripts',
    '<rootDir>/docker',
    '<rootDir>/k8s',
    '<rootDir>/eslint',
  ],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A library's or an app's public face (src/index.ts): libs first, then apps (names are unique).
  moduleNameMapper: { '^@trx/(.*)$': ['<rootDir>/libs/$1/src', '<rootDir>/apps/$1/src'] },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  setupFiles: ['reflect-metadata'],
  // TRX_TESTCONTAINERS=1: Postgres and RabbitMQ in containers instead of the local services.
  globalSetup: '<rootDir>/jest.global-setup.ts',
  globalTeardown: '<rootDir>/jest.global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
