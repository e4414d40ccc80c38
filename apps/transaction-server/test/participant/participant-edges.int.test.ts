import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createCoordinatorClient } from '@trx/coordinator-client';
import { createServiceCaller, staticDirectory } from '@trx/discovery';
import { testInfra, waitFor } from '@trx/test-support';
import { databaseName } from '@trx/db';
import type { EntityManager } from 'typeorm';
import { ParticipantHarness } from './participant-harness';

let h: ParticipantHarness;

beforeAll(async () => {
  h = await ParticipantHarness.start();
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const insert = (name: string) => (m: EntityManager) =>
  m.query('INSERT INTO items (name) VALUES ($1)', [name]);

describe('the connection a branch used', () => {
  let oneConnection: DataSource;

  beforeAll(async () => {
    // A pool of one: whatever a branch leaves on its connection, the next caller gets.
    oneConnection = await new DataSource({ type: 'postgres', url: h.dbUrl, poolSize: 1 }).initialize();
  });

  afterAll(async () => {
    await oneConnection.destroy();
  });

  it('when the work changed a session setting, then it goes back to the pool reset', async () => {
    const participant = await h.startParticipant({ dataSource: oneConnection });
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await participant.runBranch(tx.id, async (m) => {
      await m.query("SET statement_timeout = '1234ms'");
      await insert('with a setting')(m);
    });
    const after = await participant.runLocal((m) => m.query('SHOW statement_timeout'));
    expect(after).toEqual([{ statement_timeout: '0' }]);
    await h.coordinator.commit(tx.id);
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
    await participant.stop();
  });

  it('when a local transaction or a failed branch changed session settings, then they do not reach the next user of the connection', async () => {
    const participant = await h.startParticipant({ dataSource: oneConnection });
    const timeout = () => participant.runLocal((m) => m.query('SHOW statement_timeout'));
    await participant.runLocal((m) => m.query("SET statement_timeout = '2345ms'"));
    expect(await timeout()).toEqual([{ statement_timeout: '0' }]);
    await participant.runLocal((m) => m.query("SELECT set_config('statement_timeout', '3456ms', false)"));
    expect(await timeout()).toEqual([{ statement_timeout: '0' }]);

    const tx = await h.coordinator.begin({ initiator: 'test' });
    const failing = participant.runBranch(tx.id, async (m) => {
      await m.query("SET statement_timeout = '4567ms'");
      throw new Error('fails after the SET');
    });
    await expect(failing).rejects.toThrow('fails after the SET');
    expect(await timeout()).toEqual([{ statement_timeout: '0' }]);
    await h.coordinator.rollback(tx.id);
    await participant.stop();
  });

  it('when the work failed mid-statement, then the connection is not left in a transaction', async () => {
    const participant = await h.startParticipant({ dataSource: oneConnection });
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await expect(participant.runBranch(tx.id, (m) => m.query('SELECT * FROM no_such_table'))).rejects.toThrow(
      /no_such_table/,
    );
    await expect(participant.runLocal((m) => m.query('SELECT 1 AS ok'))).resolves.toEqual([{ ok: 1 }]);
    // Outside any BEGIN, a statement is its own transaction: now() is the statement's time.
    const [{ fresh }] = await oneConnection.query('SELECT now() = statement_timestamp() AS fresh');
    expect(fresh).toBe(true); // no transaction was left open on the connection
    await h.coordinator.rollback(tx.id);
    await participant.stop();
  });
});

describe('when the coordinator cannot be reached at the vote', () => {
  it('then the branch stays prepared, the caller hears coordinator-unavailable, and recovery rolls it back after the timeout', async () => {
    const deadCaller = createServiceCaller({
      directory: staticDirectory({ 'transaction-server': ['http://127.0.0.1:9'] }),
      timeoutMs: 1000,
    });
    const cutOff = await h.startParticipant({ coordinator: createCoordinatorClient({ caller: deadCaller }) });
    const tx = await h.coordinator.begin({ initiator: 'test', timeoutMs: 1000 });
    await expect(cutOff.runBranch(tx.id, insert('unconfirmed'))).rejects.toMatchObject({
      name: 'CoordinatorUnavailableError',
      retryable: true,
    });
    expect((await h.prepared()).filter((g) => g.includes(tx.id))).toHaveLength(1);
    await cutOff.stop();
    await deadCaller.close();

    // The coordinator never got the vote; its timeout rolls the transaction back.
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'rolled-back', {
      timeoutMs: 15_000,
    });
    const participant = await h.startParticipant();
    h.clockOffsetMs = 60_000;
    try {
      expect(await participant.recovery.runOnce()).toMatchObject({ rolledBack: 1 });
    } finally {
      h.clockOffsetMs = 0;
    }
    expect(await h.prepared()).toEqual([]);
    expect(await h.sql("SELECT 1 FROM items WHERE name = 'unconfirmed'")).toEqual([]);
  });
});

describe('when the database refuses connections as a decision arrives', () => {
  /** Runs SQL on the maintenance database (the test database itself is closed meanwhile). */
  async function admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: testInfra().pgUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  it('then the decision is retried with a pause until it is applied', async () => {
    const participant = await h.startParticipant({ decisionRetryDelayMs: 200 });
    const tx = await h.coordinator.begin({ initiator: 'test', timeoutMs: 60_000 });
    await participant.runBranch(tx.id, insert('after the outage'));
    const db = databaseName(h.dbUrl);
    await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
    let reopened = false;
    try {
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}'`);
      await h.coordinator.commit(tx.id);
      const retries = () =>
        h.tap.lines.filter(
          (l) => l.transactionId === tx.id && l.msg === 'could not finish branch; will retry',
        );
      await waitFor(() => retries().length >= 3, { description: 'three retries' });
      const [first, third] = [retries()[0]!, retries()[2]!];
      expect(Number(third.time) - Number(first.time)).toBeGreaterThanOrEqual(300); // not a hot loop
      await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
      reopened = true;
    } finally {
      if (!reopened) await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
    }
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed', { timeoutMs: 15_000 });
    expect(await h.sql("SELECT name FROM items WHERE name = 'after the outage'")).toHaveLength(1);
    await participant.stop();
  });
});
