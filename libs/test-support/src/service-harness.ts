import { createCoordinatorClient } from '@trx/coordinator-client';
import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { silentLogger, type Logger } from '@trx/logging';
import { brokerUserOf } from '@trx/messaging';
import type { CoordinatorApi } from '@trx/protocol';
import { preparedIn, queryDatabase } from './database-queries';
import { deleteExchangeTopology } from './event-capture';
import { createTestDatabase, dropTestDatabase, testInfra, uniqueName } from './infra';
import { ALL_IDENTITIES, testCredentials, TEST_CALLER } from './service-calls';

/** An app as its package exports it (`import * as app from '@trx/<app>'`), started in-process. */
export interface StartableApp<C, A> {
  loadAppConfig(env: Record<string, string | undefined>, overrides?: Partial<C>): C;
  start(config: C, options: { logger: Logger }): Promise<A>;
}

/** The app under test, with the service name it runs as. */
export interface HarnessedApp<C, A> extends StartableApp<C, A> {
  service: string;
}

/** The configuration keys the harnesses set; every trx app has them. */
interface ServiceTestKeys {
  port: number;
  host: string;
  databaseUrl: string;
  amqpUrl: string;
  exchange: string;
  serviceToken: string;
  trustedCallers: Map<string, string>;
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

/**
 * Starts a transaction-server on port 0 against a database `<prefix>_coord_*`; the service's is
 * `<prefix>_*`. The server is passed in (`import * as transactionServer from
 * '@trx/transaction-server'`): this library sits below the apps and never imports one.
 */
export async function startTestCoordinator<C>(
  databasePrefix: string,
  server: StartableApp<C, { url: string; stop(): Promise<void> }>,
): Promise<TestCoordinator> {
  const { amqpUrl } = testInfra();
  const dbUrl = await createTestDatabase(databasePrefix);
  const coordinatorDbUrl = await createTestDatabase(`${databasePrefix}_coord`);
  const exchange = uniqueName('trx-test');
  const settings: Partial<ServiceTestKeys> & Record<string, unknown> = {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: coordinatorDbUrl,
    amqpUrl,
    exchange,
    auditQueue: '',
    serviceToken: testCredentials.token('transaction-server'),
    trustedCallers: testCredentials.trusted(),
  };
  const running = await server.start(server.loadAppConfig({}, settings as Partial<C>), {
    logger: silentLogger(),
  });
  // The test begins and decides transactions as the order-service does.
  const caller = createServiceCaller({
    directory: staticDirectory({ 'transaction-server': [running.url] }),
    credential: testCredentials.token(TEST_CALLER),
  });
  const coordinator = createCoordinatorClient({ caller });
  return { dbUrl, coordinatorDbUrl, exchange, serverUrl: running.url, coordinator, caller, server: running };
}

/**
 * A participant service against databases and an exchange of this test file only, with the
 * real transaction-server in-process as its coordinator. Subclass it per app.
 *
 * @example
 *   class AccountHarness extends ServiceHarness<AppConfig, App> {
 *     static async start() {
 *       return new AccountHarness(accountApp, await startTestCoordinator('trx_account', transactionServer));
 *     }
 *   }
 */
export class ServiceHarness<C, A extends { stop(): Promise<void> }> {
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
    const forTest: Partial<ServiceTestKeys> & Record<string, unknown> = {
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

/** What harnessPerFile needs of a harness (a ServiceHarness subclass). */
interface FileHarness {
  startApp(): Promise<unknown>;
  prepared(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * A test file's harness with one app started: made before the file's tests, stopped after
 * them; the file fails if a branch was left prepared. `onStart` hands the harness and the
 * app to the file's variables.
 *
 * @example
 *   let h: AccountHarness;
 *   let url: string;
 *   harnessPerFile(AccountHarness.start, (started, app) => ((h = started), (url = app.url)));
 */
export function harnessPerFile<H extends FileHarness>(
  create: () => Promise<H>,
  onStart: (harness: H, app: Awaited<ReturnType<H['startApp']>>) => void,
): void {
  let harness: H | undefined;
  beforeAll(async () => {
    harness = await create();
    onStart(harness, (await harness.startApp()) as Awaited<ReturnType<H['startApp']>>);
  });
  afterAll(async () => {
    if (!harness) return;
    const left = await harness.prepared();
    await harness.stop();
    expect(left).toEqual([]);
  });
}
