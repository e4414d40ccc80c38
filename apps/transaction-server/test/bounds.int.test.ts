import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { makeGid, parseGid, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { LogTap, queryDatabase } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';
import { outboxKeys } from './enlisting';

const h = new CoordinatorHarness();
const DAY = 24 * 3600_000;
let app: RunningCoordinator;
let api: CoordinatorApi;
let ACCOUNT: string;
let PRODUCT: string;
/** The error lines the coordinator logged: where an alert rule would look. */
const errorLog = new LogTap('error');

beforeAll(async () => {
  await h.setUp();
  ACCOUNT = h.service('account');
  PRODUCT = h.service('product');
  app = await h.start(
    {
      maxBranches: 3,
      participantServices: [ACCOUNT, PRODUCT],
      republishAfterMs: 5000,
      republishMaxMs: 20_000,
      republishMaxAttempts: 2,
    },
    { logger: errorLog.logger },
  );
  api = h.client(app);
});
afterAll(() => h.tearDown());

const gid = (service: string, tx: TransactionView) => makeGid(service, tx.id, randomBytes(4).toString('hex'));
const register = (tx: TransactionView, service = ACCOUNT) =>
  call('POST', `/v1/transactions/${tx.id}/branches`, {
    service,
    instance: `${service}-1`,
    gid: gid(service, tx),
    vote: 'yes',
  });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: h.credentials.bearer(callerOf(body)) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Who makes a call: a branch's service registers it, the initiator does the rest. */
function callerOf(body: unknown): string {
  const b = body as { service?: string; outcomes?: { gid: string }[] } | undefined;
  const gid = b?.outcomes?.[0]?.gid;
  return b?.service ?? (gid ? parseGid(gid)?.service : undefined) ?? CoordinatorHarness.INITIATOR;
}

const metrics = async () => (await fetch(`${app.url}/metrics`)).text();
const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  queryDatabase<T>(h.dbUrl, text, params);

describe('the cap of branches per transaction', () => {
  it('when a transaction has its cap of branches, then one more registration is refused with 409 too-many-branches, and another transaction is served', async () => {
    const tx = await api.begin({ initiator: 'test' });
    for (let i = 0; i < 3; i++) expect((await register(tx)).status).toBe(201);
    const refused = await register(tx);
    expect(refused).toMatchObject({
      status: 409,
      body: { error: 'too-many-branches', details: { maxBranches: 3 }, retryable: false },
    });
    expect((await api.get(tx.id)).branches).toHaveLength(3);
    expect(await metrics()).toMatch(/trx_refusals_total\{reason="too-many-branches"\} 1/);
    const other = await api.begin({ initiator: 'test' });
    expect((await register(other)).status).toBe(201);
    await api.rollback(tx.id);
    await api.rollback(other.id);
  });

  it('when a commit would enlist past the cap, then it is refused and nothing is written, and the rollback that follows is served', async () => {
    const tx = await api.begin({ initiator: 'test' });
    expect((await register(tx)).status).toBe(201);
    const branches = [1, 2, 3].map(() => ({ service: PRODUCT, gid: gid(PRODUCT, tx) }));
    const refused = await call('POST', `/v1/transactions/${tx.id}/commit`, { branches });
    expect(refused).toMatchObject({ status: 409, body: { error: 'too-many-branches' } });
    expect(await api.get(tx.id)).toMatchObject({ status: 'active' });
    expect((await api.get(tx.id)).branches).toHaveLength(1);
    const tooMany = [1, 2, 3, 4].map(() => ({ service: PRODUCT, gid: gid(PRODUCT, tx) }));
    expect((await call('POST', `/v1/transactions/${tx.id}/commit`, { branches: tooMany })).status).toBe(409);
    // A rollback is never capped: it only ends branches.
    const rolledBack = await call('POST', `/v1/transactions/${tx.id}/rollback`, { branches });
    expect(rolledBack).toMatchObject({ status: 200, body: { status: 'rolling-back' } });
  });
});

describe('decisions go only to known participant services', () => {
  it('when a branch names a service outside TRX_PARTICIPANT_SERVICES, then registering or enlisting it is refused with 422 unknown-service and no decision goes to it', async () => {
    const tx = await api.begin({ initiator: 'test' });
    const stranger = h.service('stranger');
    expect(await register(tx, stranger)).toMatchObject({
      status: 422,
      body: { error: 'unknown-service', details: { service: stranger } },
    });
    const enlisted = await call('POST', `/v1/transactions/${tx.id}/commit`, {
      branches: [{ service: stranger, gid: gid(stranger, tx) }],
    });
    expect(enlisted).toMatchObject({ status: 422, body: { error: 'unknown-service' } });
    expect(await api.get(tx.id)).toMatchObject({ status: 'active', branches: [] });
    expect(await metrics()).toMatch(/trx_refusals_total\{reason="unknown-service"\} 2/);
    expect((await register(tx)).status).toBe(201);
    await api.rollback(tx.id);
    await app.outbox.runOnce();
    expect((await outboxKeys(h.dbUrl, tx.id)).filter((k) => k.includes('stranger'))).toEqual([]);
  });
});

describe('re-publishing a decision nobody acknowledges', () => {
  it('when the decision was re-published the most times, then the transaction is marked in-doubt and counted, re-publishing stops, and a late acknowledgement still ends it', async () => {
    const tx = await api.begin({ initiator: 'test' });
    const branch = (await register(tx)).body;
    await api.commit(tx.id);
    const rounds = [];
    const doubted: boolean[] = [];
    for (const ms of [5000, 10_000, 20_000, 20_000]) {
      h.clock.advance(ms + 1);
      rounds.push(await app.sweeper.runOnce());
      doubted.push((await api.get(tx.id)).inDoubtSince !== undefined);
    }
    // Two re-publishes (TRX_REPUBLISH_MAX_ATTEMPTS), then in doubt at the third round, and it stays so.
    // (Earlier tests' rollbacks are unacknowledged too and go the same way, so the rounds' counts mix them.)
    expect(doubted).toEqual([false, false, true, true]);
    expect(rounds[0]!.republished).toBeGreaterThan(0);
    expect(rounds[2]!.inDoubt).toBeGreaterThan(0);
    const view = await api.get(tx.id);
    expect(view).toMatchObject({ status: 'committing', decision: 'commit' });
    expect(view.inDoubtSince).toEqual(expect.any(String));
    const alert = errorLog.lines.find(
      (l) => l.alert === 'trx-transaction-in-doubt' && l.transactionId === tx.id,
    );
    expect(alert).toMatchObject({
      level: 50,
      decision: 'commit',
      attempts: 2,
      unacknowledged: [{ branchId: branch.id, service: ACCOUNT, gid: branch.gid }],
    });
    const inDoubt = rounds[2]!.inDoubt;
    expect(await metrics()).toMatch(new RegExp(`^trx_transactions_in_doubt ${inDoubt}$`, 'm'));
    expect(await metrics()).toMatch(new RegExp(`^trx_transactions_marked_in_doubt_total ${inDoubt}$`, 'm'));
    await api.recordOutcome(tx.id, branch.id, { outcome: 'committed' });
    expect(await api.get(tx.id)).toMatchObject({ status: 'committed' });
    expect(await metrics()).toMatch(new RegExp(`^trx_transactions_in_doubt ${inDoubt - 1}$`, 'm'));
  });
});

describe('the request deadline', () => {
  it('when a request waits past REQUEST_DEADLINE_MS, then it answers 503 request-timeout with Retry-After, and the next request is served', async () => {
    const hasty = await h.start({ requestDeadlineMs: 300, participantServices: [ACCOUNT, PRODUCT] });
    const tx = await api.begin({ initiator: 'test' });
    const holder = new Client({ connectionString: h.dbUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM trx_transaction WHERE id = $1 FOR UPDATE', [tx.id]);
      const res = await fetch(`${hasty.url}/v1/transactions/${tx.id}/rollback`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: h.credentials.bearer(CoordinatorHarness.INITIATOR),
        },
        body: '{}',
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ error: 'request-timeout', retryable: true });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // The late rollback still happened; its answer was dropped, the server goes on serving.
    const read = await fetch(`${hasty.url}/v1/transactions/${tx.id}`, {
      headers: { authorization: h.credentials.bearer(CoordinatorHarness.INITIATOR) },
    });
    expect(read.status).toBe(200);
    expect((await api.rollback(tx.id)).decision).toBe('rollback');
    await h.stop(hasty);
  });
});

describe('pages', () => {
  it('walks every transaction newest first with limit and cursor, without repeats, and refuses a bad cursor with 400', async () => {
    for (let i = 0; i < 5; i++) await api.begin({ initiator: 'page' });
    const expected = (
      await sql<{ id: string }>('SELECT id FROM trx_transaction ORDER BY created_at DESC, id DESC')
    ).map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: TransactionView[]; next: string | null } = await api.list({
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((t) => t.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(expected);
    const first = await call('GET', '/v1/transactions');
    expect(first.body.items).toHaveLength(Math.min(20, expected.length));
    for (const bad of ['nope', 'W10', Buffer.from('["x","y"]').toString('base64url')]) {
      expect(await call('GET', `/v1/transactions?cursor=${bad}`)).toMatchObject({
        status: 400,
        body: { error: 'invalid-request' },
      });
    }
    expect((await call('GET', '/v1/transactions?limit=101')).status).toBe(400);
  });
});

describe('retention', () => {
  it('when finished transactions are older than the retention period, then the job deletes them with their branches and published outbox rows, and keeps what is not finished', async () => {
    const finished = await api.begin({ initiator: 'test' });
    await register(finished);
    await api.rollback(finished.id);
    const branch = (await api.get(finished.id)).branches[0]!;
    await api.recordOutcome(finished.id, branch.id, { outcome: 'rolled-back' });
    const unacknowledged = await api.begin({ initiator: 'test' });
    await register(unacknowledged);
    await api.rollback(unacknowledged.id);
    const active = await api.begin({ initiator: 'test' });
    await app.outbox.runOnce();
    expect(await app.retention.runOnce()).toEqual({ transactions: 0, outbox: 0 });
    h.clock.advance(7 * DAY + 60_000);
    const result = await app.retention.runOnce();
    expect(result.transactions).toBeGreaterThanOrEqual(1);
    expect(result.outbox).toBeGreaterThanOrEqual(1);
    await expect(api.get(finished.id)).rejects.toMatchObject({ name: 'TransactionNotFoundError' });
    expect(await sql('SELECT 1 FROM trx_branch WHERE transaction_id = $1', [finished.id])).toEqual([]);
    expect(await api.get(unacknowledged.id)).toMatchObject({ status: 'rolling-back' });
    expect(await api.get(active.id)).toMatchObject({ status: 'active' });
    expect(await sql('SELECT 1 FROM trx_outbox WHERE published_at IS NOT NULL')).toEqual([]);
    expect(await sql(`SELECT 1 FROM trx_transaction WHERE status IN ('committed','rolled-back')`)).toEqual(
      [],
    );
    // The next request is served as usual.
    const next = await api.begin({ initiator: 'test' });
    expect((await register(next)).status).toBe(201);
  });
});
