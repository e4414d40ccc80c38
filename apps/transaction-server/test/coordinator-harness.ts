import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { silentLogger } from '@trx/logging';
import { parseGid, type CoordinatorApi } from '@trx/protocol';
import {
  createTestDatabase,
  deleteExchangeTopology,
  dropTestDatabase,
  EventCapture,
  queryDatabase,
  TestCredentials,
  testInfra,
  uniqueName,
} from '@trx/test-support';
import { loadAppConfig, type AppConfig } from '../src/config';
import { start, type RunningCoordinator, type StartOptions } from '../src/start';
import { capturedDecisions, isAnnounced, type CapturedDecision } from './announcements';

/** A clock the test moves: real time plus an offset, so deadlines pass without sleeping. */
export class TestClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** One transaction's entry of a captured DecisionBatchEvent (`type: 'decisions'`), with the batch it came in. */
export type { CapturedDecision } from './announcements';

/** A trx_outbox row as the tests look at it. */
export interface OutboxRow {
  id: string;
  routingKey: string;
  published: boolean;
  body: Record<string, unknown>;
}

/**
 * One coordinator database and exchange per test file, an EventCapture bound '#', and
 * helpers to start coordinators on them (several, for the replica tests).
 */
export class CoordinatorHarness {
  /** The identity the harness's clients begin, commit and roll back as. */
  static readonly INITIATOR = 'test-initiator';
  readonly clock = new TestClock();
  readonly credentials = new TestCredentials();
  readonly exchange = uniqueName('trx_events_test');
  readonly services = new Set<string>();
  capture!: EventCapture;
  dbUrl!: string;
  private readonly running = new Set<RunningCoordinator>();
  private readonly callers: ServiceCaller[] = [];
  /** Branch id → its service, for clients that act as a branch's owner. */
  private readonly branchServices = new Map<string, string>();

  /**
   * The harness of a test file with one coordinator started on the default settings: set up
   * before the file's tests, torn down after them. `onStart` hands the coordinator and a
   * client of it (client()) to the file's variables.
   */
  static perFile(onStart: (app: RunningCoordinator, api: CoordinatorApi) => void): CoordinatorHarness {
    const h = new CoordinatorHarness();
    beforeAll(async () => {
      await h.setUp();
      const app = await h.start();
      onStart(app, h.client(app));
    });
    afterAll(() => h.tearDown());
    return h;
  }

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
        serviceToken: this.credentials.token('transaction-server'),
        trustedCallers: this.credentials.trusted(),
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

  /** A client of `app` as one identity: every call carries that identity's token. */
  clientAs(app: RunningCoordinator, identity: string): CoordinatorApi {
    const caller = createServiceCaller({
      directory: staticDirectory({ 'transaction-server': [app.url] }),
      credential: this.credentials.token(identity),
    });
    this.callers.push(caller);
    return createCoordinatorClient({ caller });
  }

  /**
   * A client that speaks, call by call, as whoever may make it: begin, reads and decisions as
   * the initiator; a registration, vote or acknowledgement as the service its branch belongs to
   * (what a real deployment's services do, each with its own token).
   */
  client(app: RunningCoordinator): CoordinatorApi {
    const as = (identity: string) => this.clientAs(app, identity);
    const initiator = as(CoordinatorHarness.INITIATOR);
    const byService = new Map<string, CoordinatorApi>();
    const serviceClient = (service: string) => {
      if (!byService.has(service)) byService.set(service, as(service));
      return byService.get(service)!;
    };
    const branchService = this.branchServices;
    const remember = <T extends { id: string; service: string }>(b: T): T => {
      branchService.set(b.id, b.service);
      return b;
    };
    const ownerOf = (branchId: string) =>
      serviceClient(branchService.get(branchId) ?? CoordinatorHarness.INITIATOR);
    return {
      ...initiator,
      registerBranch: async (id, request) =>
        remember(await serviceClient(request.service).registerBranch(id, request)),
      vote: (id, branchId, request) => ownerOf(branchId).vote(id, branchId, request),
      recordOutcome: (id, branchId, request) => ownerOf(branchId).recordOutcome(id, branchId, request),
      recordOutcomes: async (request) => {
        // One batch per service, as each participant sends its own.
        const groups = new Map<string, typeof request.outcomes>();
        for (const o of request.outcomes) {
          const service = parseGid(o.gid)?.service ?? CoordinatorHarness.INITIATOR;
          groups.set(service, [...(groups.get(service) ?? []), o]);
        }
        const answers = await Promise.all(
          [...groups].map(([service, outcomes]) => serviceClient(service).recordOutcomes({ outcomes })),
        );
        return {
          recorded: answers.reduce((n, a) => n + a.recorded, 0),
          rejected: answers.flatMap((a) => a.rejected),
        };
      },
      get: async (id) => {
        const view = await initiator.get(id);
        view.branches.forEach(remember);
        return view;
      },
      commit: async (id, request) => {
        const view = await initiator.commit(id, request);
        view.branches.forEach(remember);
        return view;
      },
    };
  }

  /** Every decision entry captured so far (protocol v2: batches), flattened, in arrival order. */
  decisions(): CapturedDecision[] {
    return capturedDecisions(this.capture);
  }

  /** The captured decision entries of one transaction, each with its service and batch message. */
  decisionsFor(transactionId: string): CapturedDecision[] {
    return this.decisions().filter((d) => d.transactionId === transactionId);
  }

  /**
   * The routing keys of what the capture got about a transaction, sorted: its events (as
   * EventCapture.forTransaction) and, once per entry, the decision batches that carry it.
   */
  keysFor(transactionId: string): string[] {
    return [
      ...this.capture.forTransaction(transactionId).map((m) => m.routingKey),
      ...this.decisionsFor(transactionId).map((d) => d.message.routingKey),
    ].sort();
  }

  /** Whether the transaction's decision is marked announced (protocol v2: the row is its own outbox). */
  async announced(transactionId: string): Promise<boolean> {
    const announced = await isAnnounced(this.dbUrl, transactionId);
    if (announced === undefined) throw new Error(`no transaction ${transactionId}`);
    return announced;
  }

  /** The trx_outbox rows about a transaction: its events and the decision batches with an entry of it. */
  async outboxRowsFor(transactionId: string): Promise<OutboxRow[]> {
    const rows = await queryDatabase<{
      id: string;
      routing_key: string;
      published: boolean;
      body: Record<string, unknown>;
    }>(
      this.dbUrl,
      `SELECT id, routing_key, published_at IS NOT NULL AS published, body FROM trx_outbox
        WHERE body->>'transactionId' = $1
           OR body->'decisions' @> jsonb_build_array(jsonb_build_object('transactionId', $1::text))
        ORDER BY created_at, routing_key`,
      [transactionId],
    );
    return rows.map((r) => ({ id: r.id, routingKey: r.routing_key, published: r.published, body: r.body }));
  }

  /** A service name unique to this file, so its decision queue is ours alone. */
  service(name: string): string {
    const s = `${name}-${this.exchange.slice(-8)}`;
    this.services.add(s);
    this.credentials.token(s);
    return s;
  }

  async tearDown(): Promise<void> {
    for (const app of this.running) await app.stop();
    for (const c of this.callers) await c.close();
    await this.capture?.stop();
    await dropTestDatabase(this.dbUrl);
    await deleteExchangeTopology(testInfra().amqpUrl, this.exchange, {
      services: [...this.services],
      queues: [`${this.exchange}.audit`],
    });
  }
}
