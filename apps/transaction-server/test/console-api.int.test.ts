import { randomBytes } from 'node:crypto';
import { makeGid, routingKeys, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { LogTap, waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { decisionEntriesFor, waitAnnounced, waitForDecisionEntry } from './announcements';
import { CoordinatorHarness } from './coordinator-harness';

const h = new CoordinatorHarness();
let app: RunningCoordinator;
let api: CoordinatorApi;
let ACCOUNT: string;
let PRODUCT: string;
/** Every line the coordinator logged at warn or above (where the audit lines must be kept). */
const tap = new LogTap('warn');

beforeAll(async () => {
  await h.setUp();
  ACCOUNT = h.service('account');
  PRODUCT = h.service('product');
  app = await h.start(
    { maxTimeoutMs: 3_600_000, republishAfterMs: 5000, republishMaxMs: 5000, republishMaxAttempts: 1 },
    { logger: tap.logger },
  );
  api = h.client(app);
});
afterAll(() => h.tearDown());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
async function call(path: string, as?: string, method = 'GET'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: as ? { authorization: h.credentials.bearer(as) } : {},
  });
  return { status: res.status, body: await res.json() };
}
const operator = (path: string, method = 'GET') => call(path, 'operator', method);
const list = async (query: string) =>
  (await operator(`/v1/console/transactions?${query}`)).body.items.map((t: { id: string }) => t.id);

const gid = (service: string, tx: TransactionView) => makeGid(service, tx.id, randomBytes(4).toString('hex'));
const prepared = (tx: TransactionView, service: string) =>
  api.registerBranch(tx.id, { service, instance: `${service}-1`, gid: gid(service, tx), vote: 'yes' });

/** A committed transaction whose branches of `services` all acknowledged. */
async function committed(...services: string[]): Promise<TransactionView> {
  const tx = await api.begin({ initiator: 'test' });
  const branches = [];
  for (const s of services) branches.push(await prepared(tx, s));
  await api.commit(tx.id);
  // Participants acknowledge a decision they heard: once it was announced.
  await waitAnnounced(h.dbUrl, tx.id);
  for (const b of branches) await api.recordOutcome(tx.id, b.id, { outcome: 'committed' });
  return tx;
}

/** A committing transaction whose ACCOUNT branch has not acknowledged. */
async function unacknowledged(): Promise<TransactionView> {
  const tx = await api.begin({ initiator: 'test' });
  await prepared(tx, ACCOUNT);
  await api.commit(tx.id);
  // The publisher's mark holds the row for a moment: a sweep then would skip it (SKIP LOCKED).
  await waitAnnounced(h.dbUrl, tx.id);
  return tx;
}

const auditLines = (transactionId: string) =>
  tap.lines.filter((l) => l.audit === true && l.transactionId === transactionId);

describe('who may use the console', () => {
  it('when no credential comes, then every console call is 401; a service token is 403; the page itself is open', async () => {
    const tx = await api.begin({ initiator: 'test' });
    const paths: [string, string][] = [
      ['/v1/console/transactions', 'GET'],
      [`/v1/console/transactions/${tx.id}`, 'GET'],
      [`/v1/console/transactions/${tx.id}/republish`, 'POST'],
      [`/v1/console/transactions/${tx.id}/rollback`, 'POST'],
    ];
    for (const [path, method] of paths) {
      expect(await call(path, undefined, method)).toMatchObject({
        status: 401,
        body: { error: 'unauthenticated' },
      });
      expect(await call(path, ACCOUNT, method)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      expect(await call(path, CoordinatorHarness.INITIATOR, method)).toMatchObject({ status: 403 });
    }
    expect(auditLines(tx.id)).toEqual([]);
    expect((await api.get(tx.id)).status).toBe('active');

    const page = await fetch(`${app.url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>trx console</title>');
    const script = await fetch(`${app.url}/console/console.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const bare = await fetch(`${app.url}/console`, { redirect: 'manual' });
    expect(bare.headers.get('location')).toBe('/console/');
    const doc = (await call('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/console/transactions',
        '/v1/console/transactions/{id}',
        '/v1/console/transactions/{id}/republish',
        '/v1/console/transactions/{id}/rollback',
      ]),
    );
  });
});

describe('the list', () => {
  it('when filtered by status, service, age or id, then only the matching transactions show, newest first, in keyset pages', async () => {
    const old = await committed(ACCOUNT);
    h.clock.advance(60_000);
    const both = await committed(ACCOUNT, PRODUCT);
    const active = await api.begin({ initiator: 'test', timeoutMs: 600_000 });
    await prepared(active, PRODUCT);

    expect(await list('status=active')).toContain(active.id);
    expect(await list('status=active')).not.toContain(both.id);
    const ofAccount = await list(`service=${ACCOUNT}`);
    expect(ofAccount).toEqual(expect.arrayContaining([old.id, both.id]));
    expect(ofAccount).not.toContain(active.id);
    expect(ofAccount.indexOf(both.id)).toBeLessThan(ofAccount.indexOf(old.id));
    expect(await list(`service=${PRODUCT}&status=committed`)).toEqual([both.id]);
    const older = await list(`olderThanS=30&service=${ACCOUNT}`);
    expect(older).toContain(old.id);
    expect(older).not.toContain(both.id);
    expect(await list(`q=${both.id.toUpperCase()}`)).toEqual([both.id]);
    expect(await list('q=00000000-0000-4000-8000-000000000000')).toEqual([]);
    expect((await operator('/v1/console/transactions?q=no-such-transaction')).status).toBe(400);

    const first = (await operator(`/v1/console/transactions?service=${ACCOUNT}&limit=1`)).body;
    expect(first.items.map((t: { id: string }) => t.id)).toEqual([both.id]);
    expect(first.items[0]).toMatchObject({ status: 'committed', services: [ACCOUNT, PRODUCT], stuck: null });
    const second = (
      await operator(`/v1/console/transactions?service=${ACCOUNT}&limit=1&cursor=${first.next}`)
    ).body;
    expect(second.items.map((t: { id: string }) => t.id)).toEqual([old.id]);

    expect((await operator('/v1/console/transactions?status=nonsense')).status).toBe(400);
    expect((await operator('/v1/console/transactions?cursor=bogus!')).status).toBe(400);
  });
});

describe('the detail', () => {
  it('when a transaction committed, then its timeline tells begun, each branch, the decision and the end', async () => {
    const tx = await committed(ACCOUNT, PRODUCT);
    const published = (await operator(`/v1/console/transactions/${tx.id}`)).body;
    expect(published).toMatchObject({ id: tx.id, status: 'committed', decision: 'commit', stuck: null });
    expect(published.branchList.map((b: { service: string }) => b.service)).toEqual([ACCOUNT, PRODUCT]);
    // Protocol v2: the row is its own outbox; the publisher sent the decisions and the one
    // lifecycle event straight to the broker, so no outbox row was written.
    expect(published.messages).toEqual([]);
    expect(decisionEntriesFor(h.capture, routingKeys.decision(ACCOUNT), tx.id)).toHaveLength(1);
    expect(decisionEntriesFor(h.capture, routingKeys.decision(PRODUCT), tx.id)).toHaveLength(1);
    await waitFor(() => h.capture.forTransaction(tx.id).length > 0 || undefined);
    expect(h.capture.forTransaction(tx.id).map((m) => m.routingKey)).toEqual([routingKeys.committed]);
    const events = published.timeline.map((e: { event: string; service?: string }) =>
      e.service ? `${e.event} ${e.service}` : e.event,
    );
    expect(events[0]).toBe('begun');
    expect(events).toEqual(
      expect.arrayContaining([
        `branch registered ${ACCOUNT}`,
        `branch registered ${PRODUCT}`,
        'decided commit',
        `branch acknowledged committed ${ACCOUNT}`,
        `branch acknowledged committed ${PRODUCT}`,
      ]),
    );
    // The end comes after the last acknowledgement (its lifecycle event is published after it).
    const end = events.indexOf('finished committed');
    expect(end).toBeGreaterThan(events.indexOf(`branch acknowledged committed ${ACCOUNT}`));
    expect(end).toBeGreaterThan(events.indexOf(`branch acknowledged committed ${PRODUCT}`));
    expect(events.indexOf('decided commit')).toBeGreaterThan(events.indexOf(`branch registered ${PRODUCT}`));
    expect((await operator('/v1/console/transactions/0190c2a4-0000-7000-8000-000000000000')).status).toBe(
      404,
    );
  });
});

describe('stuck and in-doubt transactions', () => {
  it('when an active transaction passes its deadline, then list and detail say it timed out and the sweeper will roll it back', async () => {
    const tx = await api.begin({ initiator: 'test', timeoutMs: 1000 });
    await prepared(tx, ACCOUNT);
    h.clock.advance(13_000);
    const [item] = (await operator(`/v1/console/transactions?q=${tx.id}`)).body.items;
    expect(item.stuck).toMatchObject({ kind: 'timed-out' });
    expect(item.stuck.reason).toMatch(/^timed out 1[23] s ago; the sweeper will roll it back$/);
    expect((await operator(`/v1/console/transactions/${tx.id}`)).body.stuck.kind).toBe('timed-out');
    await app.sweeper.runOnce();
    expect((await operator(`/v1/console/transactions/${tx.id}`)).body).toMatchObject({
      status: 'rolling-back',
    });
  });

  it('when a branch has not acknowledged a decision past the first re-publish, then the console names its service and how long', async () => {
    const tx = await unacknowledged();
    expect((await operator(`/v1/console/transactions/${tx.id}`)).body.stuck).toBeNull();
    h.clock.advance(40_000);
    const d = (await operator(`/v1/console/transactions/${tx.id}`)).body;
    expect(d.stuck).toMatchObject({ kind: 'unacknowledged', services: [ACCOUNT] });
    expect(d.stuck.reason).toMatch(new RegExp(`^${ACCOUNT} has not acknowledged for 4[01] s$`));
  });

  it('when re-publishing gave up, then the transaction is in doubt and the console says how often it was re-published', async () => {
    const tx = await unacknowledged();
    h.clock.advance(6000);
    await app.sweeper.runOnce(); // the one re-publish
    h.clock.advance(6000);
    await app.sweeper.runOnce(); // gives up: in doubt
    const d = (await operator(`/v1/console/transactions/${tx.id}`)).body;
    expect(d.inDoubtSince).not.toBeNull();
    expect(d.stuck).toMatchObject({ kind: 'in-doubt', services: [ACCOUNT] });
    expect(d.stuck.reason).toContain(`re-published 1 times without ${ACCOUNT}'s acknowledgement`);
    expect(d.timeline.map((e: { event: string }) => e.event)).toContain('in doubt');
  });
});

describe('the stuck filter', () => {
  it('when the list is asked for stuck ones only, then it has the timed-out, unacknowledged and in-doubt ones and none that are fine', async () => {
    const fresh = await api.begin({ initiator: 'test', timeoutMs: 600_000 });
    const late = await api.begin({ initiator: 'test', timeoutMs: 1000 });
    const waiting = await unacknowledged();
    const recent = await unacknowledged();
    const done = await committed(ACCOUNT);
    h.clock.advance(6000);
    // `recent` was decided less than TRX_REPUBLISH_AFTER_MS ago once this one is decided.
    const justDecided = await unacknowledged();
    const shown = await list('stuck=true&limit=100');
    expect(shown).toEqual(expect.arrayContaining([late.id, waiting.id, recent.id]));
    for (const fine of [fresh.id, done.id, justDecided.id]) expect(shown).not.toContain(fine);
    // The same as the stuck reasons say, row by row.
    const page = (await operator('/v1/console/transactions?limit=100')).body.items as {
      id: string;
      stuck: unknown;
    }[];
    for (const t of page) expect(shown.includes(t.id)).toBe(t.stuck !== null);
    expect(await list('stuck=true&status=active')).toContain(late.id);
    expect(await list('stuck=true&status=active')).not.toContain(waiting.id);
  });
});

describe('operator actions', () => {
  it('when the operator re-publishes an in-doubt decision, then it is sent again at once, the doubt is cleared and the action is audited', async () => {
    const tx = await unacknowledged();
    h.clock.advance(6000);
    await app.sweeper.runOnce();
    h.clock.advance(6000);
    await app.sweeper.runOnce();
    const before = decisionEntriesFor(h.capture, routingKeys.decision(ACCOUNT), tx.id).length;

    const res = await operator(`/v1/console/transactions/${tx.id}/republish`, 'POST');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'committing', inDoubtSince: null, republishCount: 0 });
    expect(res.body.stuck?.kind).not.toBe('in-doubt');
    // The re-publish goes through the outbox: the detail lists it.
    expect(res.body.messages.map((m: { routingKey: string }) => m.routingKey)).toContain(
      routingKeys.decision(ACCOUNT),
    );
    await waitFor(
      () => decisionEntriesFor(h.capture, routingKeys.decision(ACCOUNT), tx.id).length > before || undefined,
      { description: `a new decision for ${tx.id}` },
    );
    expect(auditLines(tx.id)).toEqual([
      expect.objectContaining({
        level: 40,
        audit: true,
        operator: 'operator',
        action: 'republish',
        transactionId: tx.id,
      }),
    ]);
  });

  it('when the transaction has no decision awaiting acknowledgement, then re-publishing is refused with 409 and nothing is audited', async () => {
    const active = await api.begin({ initiator: 'test', timeoutMs: 600_000 });
    const done = await committed(ACCOUNT);
    for (const tx of [active, done]) {
      const res = await operator(`/v1/console/transactions/${tx.id}/republish`, 'POST');
      expect(res).toMatchObject({ status: 409, body: { error: 'not-awaiting-acknowledgement' } });
      expect(auditLines(tx.id)).toEqual([]);
    }
  });

  it('when an active transaction is past its deadline, then the operator rolls it back through the timeout path, audited', async () => {
    const tx = await api.begin({ initiator: 'test', timeoutMs: 1000 });
    const branch = await prepared(tx, ACCOUNT);
    h.clock.advance(2000);
    const res = await operator(`/v1/console/transactions/${tx.id}/rollback`, 'POST');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'rolling-back',
      decision: 'rollback',
      reason: 'timeout',
      stuck: null,
    });
    const { entry } = await waitForDecisionEntry(h.capture, routingKeys.decision(ACCOUNT), tx.id);
    expect(entry).toMatchObject({ decision: 'rollback', branches: [{ branchId: branch.id }] });
    expect(auditLines(tx.id)).toEqual([
      expect.objectContaining({
        level: 40,
        audit: true,
        operator: 'operator',
        action: 'rollback',
        transactionId: tx.id,
      }),
    ]);
    // The initiator's late commit finds it decided.
    await expect(api.commit(tx.id)).rejects.toMatchObject({
      name: 'TransactionConflictError',
      status: 'rolling-back',
    });
  });

  it('when a transaction is within its deadline or not active, then rolling it back is refused with 409 and nothing changes', async () => {
    const fresh = await api.begin({ initiator: 'test', timeoutMs: 600_000 });
    expect(await operator(`/v1/console/transactions/${fresh.id}/rollback`, 'POST')).toMatchObject({
      status: 409,
      body: { error: 'not-past-deadline', status: 'active' },
    });
    expect((await api.get(fresh.id)).status).toBe('active');
    const done = await committed(ACCOUNT);
    expect(await operator(`/v1/console/transactions/${done.id}/rollback`, 'POST')).toMatchObject({
      status: 409,
      body: { error: 'not-active', status: 'committed' },
    });
    expect(auditLines(fresh.id)).toEqual([]);
    expect(auditLines(done.id)).toEqual([]);
  });
});
