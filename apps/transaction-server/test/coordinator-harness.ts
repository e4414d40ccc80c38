import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { silentLogger } from '@trx/logging';
import { decisionQueue, type CoordinatorApi } from '@trx/protocol';
import {
  createTestDatabase,
  deleteAmqpObjects,
  dropTestDatabase,
  EventCapture,
  testInfra,
  uniqueName,
} from '@trx/test-support';
import { loadAppConfig, type AppConfig } from '../src/config';
import { start, type RunningCoordinator, type StartOptions } from '../src/start';

/** A clock the test moves: real time plus an offset, so deadlines pass without sleeping. */
export class TestClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/**
 * One coordinator database and exchange per test file, an EventCapture bound '#', and
 * helpers to start coordinators on them (several, for the replica tests).
 */
export class CoordinatorHarness {
  readonly clock = new TestClock();
  readonly exchange = uniqueName('trx_events_test');
  readonly services = new Set<string>();
  capture!: EventCapture;
  dbUrl!: string;
  private readonly running = new Set<RunningCoordinator>();
  private readonly callers: ServiceCaller[] = [];

  async setUp(): Promise<void> {
    this.dbUrl = await createTestDatabase('trx_coord_test');
    this.capture = await EventCapture.start(testInfra().amqpUrl, this.exchange);
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
        auditQueue: `${this.exchange}.audit`,
        auditMaxLength: 100,
        // Periodic work runs only when a test calls runOnce().
        sweepIntervalMs: 0,
        outboxPollMs: 0,
        republishAfterMs: 5000,
        republishMaxMs: 20_000,
        // Tests name their services per file (service()); the allow-list has its own test.
        participantServices: ['*'],
        ...overrides,
      },
    );
  }

  async start(overrides: Partial<AppConfig> = {}, options: StartOptions = {}): Promise<RunningCoordinator> {
    const app = await start(this.config(overrides), {
      clock: this.clock.now,
      logger: silentLogger(),
      ...options,
    });
    this.running.add(app);
    return app;
  }

  async stop(app: RunningCoordinator): Promise<void> {
    this.running.delete(app);
    await app.stop();
  }

  client(app: RunningCoordinator): CoordinatorApi {
    const caller = createServiceCaller({ directory: staticDirectory({ 'transaction-server': [app.url] }) });
    this.callers.push(caller);
    return createCoordinatorClient({ caller });
  }

  /** A service name unique to this file, so its decision queue is ours alone. */
  service(name: string): string {
    const s = `${name}-${this.exchange.slice(-8)}`;
    this.services.add(s);
    return s;
  }

  async tearDown(): Promise<void> {
    for (const app of this.running) await app.stop();
    for (const c of this.callers) await c.close();
    await this.capture?.stop();
    await dropTestDatabase(this.dbUrl);
    await deleteAmqpObjects(testInfra().amqpUrl, {
      queues: [
        ...[...this.services].map((s) => decisionQueue(s, this.exchange)),
        `${this.exchange}.unroutable`,
        `${this.exchange}.audit`,
      ],
      exchanges: [this.exchange, `${this.exchange}.unroutable`],
    });
  }
}
