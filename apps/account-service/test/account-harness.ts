import { Client } from 'pg';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { silentLogger } from '@trx/logging';
import { decisionQueue, type CoordinatorApi } from '@trx/protocol';
import {
  createTestDatabase,
  deleteAmqpObjects,
  dropTestDatabase,
  listPrepared,
  testInfra,
  uniqueName,
} from '@trx/test-support';
import { loadAppConfig as loadServerConfig } from '../../transaction-server/src/config';
import { start as startServer } from '../../transaction-server/src/start';
import { loadAppConfig, SERVICE_NAME, type AppConfig } from '../src/config';
import { start } from '../src/start';

type App = Awaited<ReturnType<typeof start>>;

/**
 * The account-service against databases and an exchange of this test file only, with the
 * real transaction-server in-process as its coordinator.
 */
export class AccountHarness {
  readonly apps: App[] = [];

  private constructor(
    readonly dbUrl: string,
    readonly coordinatorDbUrl: string,
    readonly exchange: string,
    readonly serverUrl: string,
    readonly coordinator: CoordinatorApi,
    private readonly caller: ServiceCaller,
    private readonly server: { stop(): Promise<void> },
  ) {}

  static async start(): Promise<AccountHarness> {
    const { amqpUrl } = testInfra();
    const dbUrl = await createTestDatabase('trx_account');
    const coordinatorDbUrl = await createTestDatabase('trx_account_coord');
    const exchange = uniqueName('trx-test');
    const server = await startServer(
      loadServerConfig(
        {},
        { port: 0, host: '127.0.0.1', databaseUrl: coordinatorDbUrl, amqpUrl, exchange, auditQueue: '' },
      ),
      { logger: silentLogger() },
    );
    const caller = createServiceCaller({
      directory: staticDirectory({ 'transaction-server': [server.url] }),
    });
    const coordinator = createCoordinatorClient({ caller });
    return new AccountHarness(dbUrl, coordinatorDbUrl, exchange, server.url, coordinator, caller, server);
  }

  config(overrides: Partial<AppConfig> = {}): AppConfig {
    return loadAppConfig(
      {},
      {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: this.dbUrl,
        amqpUrl: testInfra().amqpUrl,
        exchange: this.exchange,
        instanceId: uniqueName(SERVICE_NAME),
        serviceUrls: { 'transaction-server': [this.serverUrl] },
        ...overrides,
      },
    );
  }

  async startApp(overrides: Partial<AppConfig> = {}): Promise<App> {
    const app = await start(this.config(overrides), { logger: silentLogger() });
    this.apps.push(app);
    return app;
  }

  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.dbUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** More accounts (customer = account id), so open branches in a test don't wait on each other's row locks. */
  async addAccounts(ids: number[], balance = 1000): Promise<void> {
    await this.sql('INSERT INTO customers (id, name) SELECT id, $2 FROM unnest($1::int[]) AS id', [
      ids,
      'test',
    ]);
    await this.sql(
      'INSERT INTO accounts (id, customer_id, balance) SELECT id, id, $2 FROM unnest($1::int[]) AS id',
      [ids, balance],
    );
  }

  async prepared(): Promise<string[]> {
    const client = new Client({ connectionString: this.dbUrl });
    await client.connect();
    try {
      return await listPrepared(client);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    for (const app of this.apps) await app.stop();
    await this.server.stop();
    await this.caller.close();
    await deleteAmqpObjects(testInfra().amqpUrl, {
      queues: [decisionQueue(SERVICE_NAME, this.exchange), `${this.exchange}.unroutable`],
      exchanges: [this.exchange, `${this.exchange}.unroutable`],
    }).catch(() => undefined);
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
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
