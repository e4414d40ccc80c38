import { createCoordinatorClient } from '@trx/coordinator-client';
import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { silentLogger, type Logger } from '@trx/logging';
import { brokerUserOf } from '@trx/messaging';
import type { CoordinatorApi } from '@trx/protocol';
import {
  createTestDatabase,
  deleteExchangeTopology,
  dropTestDatabase,
  preparedIn,
  queryDatabase,
  TestCredentials,
  testInfra,
  uniqueName,
} from '@trx/test-support';
import { loadAppConfig as loadServerConfig } from '../../../apps/transaction-server/src/config';
import { start as startServer } from '../../../apps/transaction-server/src/start';
import type { ParticipantServiceConfig } from '../src';

/**
 * This test file's credentials (jest loads this module once per file). Tests call the app as the
 * order-service — its only caller in production — unless they say otherwise.
 */
export const testCredentials = new TestCredentials();
export const TEST_CALLER = 'order-service';
/** Every app knows every identity (so a wrong caller is 403, not 401); each route says who may call it. */
export const ALL_IDENTITIES = [
  'transaction-server',
  'order-service',
  'account-service',
  'product-service',
  'operator',
];

/** The app under test, as its config.ts and start.ts export it. */
export interface HarnessedApp<C, A> {
  service: string;
  loadAppConfig(env: Record<string, string | undefined>, overrides?: Partial<C>): C;
  start(config: C, options: { logger: Logger }): Promise<A>;
}

/** A coordinator (the real transaction-server, in-process) and the databases and exchange of one test file. */
export interface TestCoordinator {
  dbUrl: string;
  coordinatorDbUrl: string;
  exchange: string;
  serverUrl: string;
  coordinator: CoordinatorApi;
  caller: ServiceCaller;
  server: { stop(): Promise<void> };
}

/** Starts a transaction-server on port 0 against a database `<prefix>_coord_*`; the service's is `<prefix>_*`. */
export async function startTestCoordinator(databasePrefix: string): Promise<TestCoordinator> {
  const { amqpUrl } = testInfra();
  const dbUrl = await createTestDatabase(databasePrefix);
  const coordinatorDbUrl = await createTestDatabase(`${databasePrefix}_coord`);
  const exchange = uniqueName('trx-test');
  const server = await startServer(
    loadServerConfig(
      {},
      {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: coordinatorDbUrl,
        amqpUrl,
        exchange,
        auditQueue: '',
        serviceToken: testCredentials.token('transaction-server'),
        trustedCallers: testCredentials.trusted(),
      },
    ),
    { logger: silentLogger() },
  );
  // The test begins and decides transactions as the order-service does.
  const caller = createServiceCaller({
    directory: staticDirectory({ 'transaction-server': [server.url] }),
    credential: testCredentials.token(TEST_CALLER),
  });
  const coordinator = createCoordinatorClient({ caller });
  return { dbUrl, coordinatorDbUrl, exchange, serverUrl: server.url, coordinator, caller, server };
}

/**
 * A participant service against databases and an exchange of this test file only, with the
 * real transaction-server in-process as its coordinator. Subclass it per app.
 *
 * @example
 *   class AccountHarness extends ServiceHarness<AppConfig, App> {
 *     static async start() {
 *       return new AccountHarness(accountApp, await startTestCoordinator('trx_account'));
 *     }
 *   }
 */
export class ServiceHarness<C extends ParticipantServiceConfig, A extends { stop(): Promise<void> }> {
  readonly apps: A[] = [];
  readonly dbUrl: string;
  readonly coordinatorDbUrl: string;
  readonly exchange: string;
  readonly serverUrl: string;
  readonly coordinator: CoordinatorApi;

  constructor(
    private readonly app: HarnessedApp<C, A>,
    private readonly env: TestCoordinator,
  ) {
    ({
      dbUrl: this.dbUrl,
      coordinatorDbUrl: this.coordinatorDbUrl,
      exchange: this.exchange,
      serverUrl: this.serverUrl,
      coordinator: this.coordinator,
    } = env);
  }

  /** The app's configuration on port 0 against this file's database, exchange and coordinator. */
  config(overrides: Partial<C> = {}): C {
    const forTest: Partial<ParticipantServiceConfig> = {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: this.dbUrl,
      amqpUrl: testInfra().amqpUrl,
      exchange: this.exchange,
      // The test's coordinator publishes as the tests' broker user (guest), not trx-coordinator.
      coordinatorBrokerUser: brokerUserOf(testInfra().amqpUrl),
      instanceId: uniqueName(this.app.service),
      serviceUrls: { 'transaction-server': [this.serverUrl] },
      serviceToken: testCredentials.token(this.app.service),
      trustedCallers: testCredentials.trustedOnly(...ALL_IDENTITIES),
    };
    return this.app.loadAppConfig({}, { ...(forTest as Partial<C>), ...overrides });
  }

  async startApp(overrides: Partial<C> = {}): Promise<A> {
    const app = await this.app.start(this.config(overrides), { logger: silentLogger() });
    this.apps.push(app);
    return app;
  }

  /** Runs SQL on a connection of its own (not the app's pool). */
  sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return queryDatabase<T>(this.dbUrl, text, params);
  }

  prepared(): Promise<string[]> {
    return preparedIn(this.dbUrl);
  }

  async stop(): Promise<void> {
    for (const app of this.apps) await app.stop();
    await this.env.server.stop();
    await this.env.caller.close();
    await deleteExchangeTopology(testInfra().amqpUrl, this.exchange, { services: [this.app.service] });
    await dropTestDatabase(this.dbUrl);
    await dropTestDatabase(this.coordinatorDbUrl);
  }
}

/** A JSON HTTP call to an app; the status and the parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
): Promise<{ status: number; body: any }> {
  const { status, body: answer } = await callWithHeaders(url, method, path, body, headers);
  return { status, body: answer };
}

/** call(), with the response headers too. */
export async function callWithHeaders(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
): Promise<{ status: number; body: any; headers: Headers }> {
  // As the order-service unless the test sets `authorization` ('' sends none).
  const all: Record<string, string> = {
    'content-type': 'application/json',
    authorization: testCredentials.bearer(TEST_CALLER),
    ...headers,
  };
  if (all.authorization === '') delete all.authorization;
  const res = await fetch(`${url}${path}`, {
    method,
    headers: all,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
