import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Broker, brokerUserOf } from '@trx/messaging';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { createServiceCaller, staticDirectory, type ServiceCaller } from '@trx/discovery';
import { silentLogger } from '@trx/logging';
import {
  DEFAULT_TIMEOUT_MS,
  PRESUMED_ABORT,
  uuidv7Time,
  type CoordinatorApi,
  type TransactionView,
} from '@trx/protocol';
import {
  createTestDatabase,
  deleteExchangeTopology,
  dropTestDatabase,
  listPrepared,
  LogTap,
  TestCredentials,
  testInfra,
  uniqueName,
} from '@trx/test-support';
import { loadAppConfig } from '../../src/config';
import { start as startServer } from '../../src/start';
import { Participant, type ParticipantOptions } from '@trx/participant';

export const SERVICE = 'test-participant';
const credentials = new TestCredentials();

export { LogTap };

export interface CoordinatorCalls {
  registerBranch: number;
  recordOutcome: number;
  /** The size of each POST /v1/outcomes, in order. */
  recordOutcomes: number[];
  /** Every gid acknowledged through POST /v1/outcomes. */
  acknowledged: string[];
}

/** The real coordinator client, counting the participant's calls on the way through. */
export function countingCoordinator(real: CoordinatorApi): {
  coordinator: CoordinatorApi;
  calls: CoordinatorCalls;
} {
  const calls: CoordinatorCalls = {
    registerBranch: 0,
    recordOutcome: 0,
    recordOutcomes: [],
    acknowledged: [],
  };
  const coordinator: CoordinatorApi = {
    ...real,
    registerBranch: (...args) => {
      calls.registerBranch++;
      return real.registerBranch(...args);
    },
    recordOutcome: (...args) => {
      calls.recordOutcome++;
      return real.recordOutcome(...args);
    },
    recordOutcomes: (request) => {
      calls.recordOutcomes.push(request.outcomes.length);
      calls.acknowledged.push(...request.outcomes.map((o) => o.gid));
      return real.recordOutcomes(request);
    },
  };
  return { coordinator, calls };
}

/** What a v2 coordinator answers for a transaction it never heard of. */
export function unknownTransaction(transactionId: string, now: Date): TransactionView {
  const minted = uuidv7Time(transactionId);
  const deadline = new Date((minted ?? 0) + DEFAULT_TIMEOUT_MS);
  const active = deadline > now;
  return {
    id: transactionId,
    status: active ? 'active' : 'rolled-back',
    decision: active ? null : 'rollback',
    reason: active ? null : PRESUMED_ABORT,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    deadline: deadline.toISOString(),
    createdAt: new Date(minted ?? now.getTime()).toISOString(),
    updatedAt: now.toISOString(),
    branches: [],
  };
}

/**
 * A coordinator (the real transaction-server, in-process), a participant database with an
 * `items` table, a broker and an exchange of this test file only.
 */
export class ParticipantHarness {
  readonly tap = new LogTap();
  readonly participants: Participant[] = [];
  clockOffsetMs = 0;

  private constructor(
    readonly dbUrl: string,
    readonly coordinatorDbUrl: string,
    readonly exchange: string,
    readonly dataSource: DataSource,
    readonly broker: Broker,
    readonly caller: ServiceCaller,
    readonly coordinator: CoordinatorApi,
    private readonly server: { stop(): Promise<void> },
  ) {}

  static async start(): Promise<ParticipantHarness> {
    const { amqpUrl } = testInfra();
    const dbUrl = await createTestDatabase('trx_part');
    const coordinatorDbUrl = await createTestDatabase('trx_part_coord');
    const exchange = uniqueName('trx-test');
    const server = await startServer(
      loadAppConfig(
        {},
        {
          port: 0,
          databaseUrl: coordinatorDbUrl,
          amqpUrl,
          exchange,
          auditQueue: '',
          republishAfterMs: 600_000,
          serviceToken: credentials.token('transaction-server'),
          trustedCallers: credentials.trusted(),
          participantServices: [SERVICE],
        },
      ),
      { logger: silentLogger() },
    );
    // One identity for the test and the participant: the service begins its own transactions here.
    const caller = createServiceCaller({
      directory: staticDirectory({ 'transaction-server': [server.url] }),
      credential: credentials.token(SERVICE),
    });
    const coordinator = createCoordinatorClient({ caller });
    const broker = await Broker.connect({ url: amqpUrl, exchange, logger: silentLogger() });
    await broker.declareExchange();
    const dataSource = new DataSource({ type: 'postgres', url: dbUrl, poolSize: 8 });
    await dataSource.initialize();
    await dataSource.query(
      'CREATE TABLE items (id serial PRIMARY KEY, transaction_id text, name text NOT NULL)',
    );
    return new ParticipantHarness(
      dbUrl,
      coordinatorDbUrl,
      exchange,
      dataSource,
      broker,
      caller,
      coordinator,
      server,
    );
  }

  async startParticipant(overrides: Partial<ParticipantOptions> = {}): Promise<Participant> {
    const participant = await Participant.start({
      service: SERVICE,
      instance: uniqueName('instance'),
      dataSource: this.dataSource,
      coordinator: this.coordinator,
      broker: this.broker,
      logger: this.tap.logger,
      recoveryIntervalMs: 0,
      clock: () => new Date(Date.now() + this.clockOffsetMs),
      // The harness's coordinator publishes as the tests' broker user (guest), not trx-coordinator.
      coordinatorBrokerUser: brokerUserOf(testInfra().amqpUrl),
      ...overrides,
    });
    this.participants.push(participant);
    return participant;
  }

  /** Runs SQL on a connection of its own (not the participant's pool). */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.dbUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
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
    for (const p of this.participants) await p.stop();
    await this.server.stop();
    await this.broker.close();
    await this.caller.close();
    await this.dataSource.destroy();
    await deleteExchangeTopology(testInfra().amqpUrl, this.exchange, { services: [SERVICE] });
    await dropTestDatabase(this.dbUrl);
    await dropTestDatabase(this.coordinatorDbUrl);
  }
}
