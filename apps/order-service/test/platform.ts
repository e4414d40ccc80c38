/**
 * The whole platform in one test process: four databases of its own, an exchange of its
 * own, and transaction-server, product-service, account-service and order-service started
 * in-process on port 0 with SERVICE_URLS pointing at each other. Reusable by any
 * end-to-end test:
 *
 *   const platform = await startPlatform({ orderEnv: { ORDER_FAULT_INJECTION: 'true' } });
 *   const { status, body } = await platform.postOrder({ customerId: 1, productId: 1, quantity: 2 });
 *   await platform.waitForSettled(body.transactionId);
 *   await platform.stop();
 */
import net from 'node:net';
import { Pool } from 'pg';
import type { CoordinatorApi, TransactionView } from '@trx/protocol';
import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { createCoordinatorClient } from '@trx/coordinator-client';
import {
  createTestDatabase,
  deleteExchangeTopology,
  dropTestDatabase,
  TestCredentials,
  testInfra,
  uniqueName,
} from '@trx/test-support';
import { brokerUserOf } from '@trx/messaging';
import * as transactionServer from '@trx/transaction-server';
import * as productService from '@trx/product-service';
import * as accountService from '@trx/account-service';
import * as orderService from '../src/start';
import * as orderConfig from '../src/config';
import { EventTap } from './event-tap';
import { PlatformProbe, type DatabaseName } from './platform-probe';

export interface PlatformOptions {
  /** Extra environment for the order-service (e.g. ORDER_FAULT_INJECTION, CALL_TIMEOUT_MS). */
  orderEnv?: Record<string, string>;
  /** Extra environment for every app. */
  env?: Record<string, string>;
  /** Where the order-service finds these services instead (e.g. a closed port, to test an outage). */
  orderSees?: Partial<Record<(typeof SERVICES)[number], string>>;
  /** The order-service's clock (its retention, its participant runtime); default real time. */
  orderClock?: () => Date;
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

export interface Platform extends PlatformProbe {
  exchange: string;
  /** The apps' tokens and the customer signing key of this platform. */
  credentials: TestCredentials;
  urls: Record<'coordinator' | 'product' | 'account' | 'order', string>;
  coordinator: CoordinatorApi;
  events: EventTap;
  /** The order-service app itself, for driving its periodic work (retention) in tests. */
  orderApp: orderService.OrderServiceApp;
  postOrder(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: OrderBody }>;
  getJson(url: string): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export type OrderBody = Record<string, unknown> & { id?: string; transactionId?: string; error?: string };

const SERVICES = ['transaction-server', 'product-service', 'account-service', 'order-service'] as const;
const IDENTITY: Record<DatabaseName, string> = {
  coordinator: 'transaction-server',
  product: 'product-service',
  account: 'account-service',
  order: 'order-service',
};

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const { amqpUrl } = testInfra();
  const exchange = uniqueName('trx-test');
  const credentials = new TestCredentials();
  const databases = await createDatabases();
  const pools = mapValues(databases, (url) => new Pool({ connectionString: url, max: 3 }));
  const apps: Running[] = [];
  const cleanup = async () => {
    for (const app of apps.reverse()) await app.stop().catch(() => undefined);
    await Promise.all(Object.values(pools).map((p) => p.end().catch(() => undefined)));
    await Promise.all(Object.values(databases).map((url) => dropTestDatabase(url).catch(() => undefined)));
    await deleteExchangeTopology(amqpUrl, exchange, { services: SERVICES });
  };
  try {
    const env = (db: DatabaseName, urls: string) => ({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databases[db],
      AMQP_URL: amqpUrl,
      TRX_EXCHANGE: exchange,
      TRX_SERVICE_TOKEN: credentials.token(IDENTITY[db]),
      TRX_TRUSTED_CALLERS: credentials.trustedCallersEnv(...SERVICES, 'operator'),
      ORDER_CUSTOMER_JWT_PUBLIC_KEY: credentials.customerKeys.publicKeyPem,
      // The coordinator publishes as the tests' broker user (guest), not trx-coordinator.
      TRX_COORDINATOR_BROKER_USER: brokerUserOf(amqpUrl),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      SERVICE_URLS: urls,
      TRX_AUDIT_QUEUE: '',
      TRX_RECOVERY_INTERVAL_MS: '2000',
      DB_POOL_SIZE: '10',
      ...options.env,
    });
    const coordinator = await track(
      apps,
      transactionServer.start(
        transactionServer.loadAppConfig(env('coordinator', 'order-service=http://127.0.0.1:1')),
      ),
    );
    const base = `transaction-server=${coordinator.url}`;
    const product = await track(
      apps,
      productService.start(productService.loadAppConfig(env('product', base))),
    );
    const account = await track(
      apps,
      accountService.start(accountService.loadAppConfig(env('account', base))),
    );
    const seen = {
      'transaction-server': coordinator.url,
      'product-service': product.url,
      'account-service': account.url,
      ...options.orderSees,
    };
    const all = Object.entries(seen)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
    const order = await track(
      apps,
      orderService.start(orderConfig.loadAppConfig({ ...env('order', all), ...options.orderEnv }), {
        clock: options.orderClock,
      }),
    );
    const events = await EventTap.start(amqpUrl, exchange);
    apps.push({ url: '', stop: () => events.stop() });
    const urls = {
      coordinator: coordinator.url,
      product: product.url,
      account: account.url,
      order: order.url,
    };
    return assemble({ exchange, urls, pools, events, cleanup, credentials, orderApp: order });
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function assemble(parts: {
  exchange: string;
  urls: Platform['urls'];
  pools: Record<DatabaseName, Pool>;
  events: EventTap;
  cleanup: () => Promise<void>;
  credentials: TestCredentials;
  orderApp: orderService.OrderServiceApp;
}): Platform {
  const { credentials } = parts;
  // The test reads as the operator.
  const caller: ServiceCaller = createServiceCaller({
    directory: staticDirectory({ 'transaction-server': [parts.urls.coordinator] }),
    timeoutMs: 10_000,
    credential: credentials.token('operator'),
  });
  const coordinator = createCoordinatorClient({ caller });
  const probe = new PlatformProbe(parts.pools, coordinator, parts.urls);
  return Object.assign(probe, {
    exchange: parts.exchange,
    credentials,
    urls: parts.urls,
    coordinator,
    events: parts.events,
    // As the customer the order names, unless the test sets `authorization` ('' sends none).
    orderApp: parts.orderApp,
    postOrder: async (body: unknown, headers: Record<string, string> = {}) => {
      const customerId = (body as { customerId?: unknown } | null)?.customerId;
      const own = Number.isInteger(customerId) && (customerId as number) > 0;
      const all: Record<string, string> = {
        'content-type': 'application/json',
        authorization: `Bearer ${await credentials.customerToken(own ? (customerId as number) : 1)}`,
        ...headers,
      };
      if (all.authorization === '') delete all.authorization;
      const res = await fetch(`${parts.urls.order}/orders`, {
        method: 'POST',
        headers: all,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as OrderBody };
    },
    getJson: async (url: string) => {
      const res = await fetch(url, { headers: { authorization: credentials.bearer('operator') } });
      return { status: res.status, body: (await res.json()) as unknown };
    },
    stop: async () => {
      await caller.close();
      await parts.cleanup();
    },
  });
}

async function createDatabases(): Promise<Record<DatabaseName, string>> {
  const [coordinator, order, account, product] = await Promise.all([
    createTestDatabase('trx_coordinator'),
    createTestDatabase('trx_order'),
    createTestDatabase('trx_account'),
    createTestDatabase('trx_product'),
  ]);
  return { coordinator: coordinator!, order: order!, account: account!, product: product! };
}

async function track<T extends Running>(apps: Running[], starting: Promise<T>): Promise<T> {
  const app = await starting;
  apps.push(app);
  return app;
}

/** A local port nobody listens on (for outage tests): connections to it are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function mapValues<K extends string, A, B>(record: Record<K, A>, fn: (a: A) => B): Record<K, B> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v as A)])) as Record<K, B>;
}

export type { TransactionView };
