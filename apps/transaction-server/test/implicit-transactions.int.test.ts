import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  MAX_COMMIT_EVENTS,
  PRESUMED_ABORT,
  makeGid,
  routingKeys,
  uuidv7,
  uuidv7Time,
  type CommitEvent,
  type CoordinatorApi,
  type TransactionView,
} from '@trx/protocol';
import { queryDatabase, waitFor } from '@trx/test-support';
import { toTransaction, type TransactionRecord } from '../src/data-access';
import type { RunningCoordinator } from '../src/start';
import { decisionEntriesFor, isAnnounced, waitAnnounced, waitForDecisionEntry } from './announcements';
import { CoordinatorHarness } from './coordinator-harness';
import { outboxKeys, preparedBranch } from './enlisting';

/**
 * Protocol v2's implicit transactions: the initiator mints a UUIDv7 id and never begins; the
 * coordinator first hears of the transaction at its commit, rollback or resolve. Its terms
 * follow from the id (created at the id's time, deadline that plus the default timeout); a
 * resolve past the deadline writes a tombstone so no late commit can win; the initiator's
 * events go out with a commit decision only; and a decision the publisher never announced
 * is announced by the re-publish.
 */
const h = new CoordinatorHarness();
/** Not the protocol's default (30 s), so the terms are seen to come from the configuration. */
const TIMEOUT_MS = 20_000;
const REPUBLISH_AFTER_MS = 5000;
let app: RunningCoordinator;
let ORDER: string;
let ACCOUNT: string;
let PRODUCT: string;
let order: CoordinatorApi;
let account: CoordinatorApi;

beforeAll(async () => {
  await h.setUp();
  ORDER = h.service('order');
  ACCOUNT = h.service('account');
  PRODUCT = h.service('product');
  app = await h.start({ defaultTimeoutMs: TIMEOUT_MS, republishAfterMs: REPUBLISH_AFTER_MS });
  order = h.clientAs(app, ORDER);
  account = h.clientAs(app, ACCOUNT);
});
afterAll(() => h.tearDown());

/** An id minted by the initiator `offsetMs` from the coordinator's (test) clock. */
const mint = (offsetMs = 0) => uuidv7(h.clock.now().getTime() + offsetMs);
/** An id minted so long ago that its deadline has passed. */
const expiredId = () => mint(-TIMEOUT_MS - 1000);
const of = (id: string) => ({ id }) as TransactionView;
const branchOf = (service: string, id: string) => preparedBranch(service, of(id));
const confirmed = (extra: Record<string, unknown> = {}): CommitEvent => ({
  routingKey: 'order.confirmed',
  body: { messageId: uuidv7(), orderId: randomUUID(), ...extra } as CommitEvent['body'],
});

async function row(id: string): Promise<TransactionRecord | undefined> {
  const [r] = await queryDatabase(h.dbUrl, 'SELECT * FROM trx_transaction WHERE id = $1', [id]);
  return r ? toTransaction(r) : undefined;
}

async function branchRows(id: string): Promise<{ gid: string; status: string }[]> {
  return queryDatabase(
    h.dbUrl,
    'SELECT gid, status FROM trx_branch WHERE transaction_id = $1 ORDER BY created_at',
    [id],
  );
}

/** A raw call as `identity`, for the status codes the client folds into its errors. */
async function post(
  identity: string,
  path: string,
  body: unknown,
): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: h.credentials.bearer(identity) },
    body: JSON.stringify(body),
  });
  return { status: res.status, error: ((await res.json()) as { error?: string }).error };
}

const lifecycleOf = (key: string, id: string) =>
  h.capture.withKey(key).filter((m) => m.body.transactionId === id);
const captured = (messageId: string) => h.capture.messages.filter((m) => m.messageId === messageId);

/**
 * Waits until everything published before now has reached the capture: a commit with an
 * event of its own goes out after, through the same publisher, and arrives after them.
 */
async function drained(via: RunningCoordinator = app): Promise<void> {
  const sentinel = confirmed({ sentinel: true });
  const id = mint();
  await h.clientAs(via, ORDER).commit(id, { events: [sentinel] });
  await waitFor(() => captured(sentinel.body.messageId).length > 0, { description: 'the sentinel event' });
}

/** Every statement the coordinator sends to Postgres while `act` runs (the test shares its process). */
async function statementsOf(act: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = Client.prototype.query;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
    this: Client,
    ...args: unknown[]
  ) {
    const first = args[0] as string | { text?: string };
    sent.push(typeof first === 'string' ? first : (first?.text ?? ''));
    return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return sent;
}

describe('commit and rollback of an id nobody began', () => {
  it('when the initiator commits an unknown UUIDv7 id with its branches, then one statement creates it committing on the id’s terms, the decision batch and one transaction.committed go out, and it is announced', async () => {
    const id = mint();
    const minted = uuidv7Time(id)!;
    const branches = [branchOf(ACCOUNT, id), branchOf(PRODUCT, id)];
    let view!: TransactionView;
    const sent = await statementsOf(async () => {
      view = await order.commit(id, { branches });
    });
    // The commit's own SQL: one statement (the publisher's mark afterwards is not the commit's).
    expect(sent.filter((s) => !/SET announced = true/.test(s))).toEqual([
      expect.stringContaining('trx_commit_v3'),
    ]);
    expect(view).toMatchObject({
      id,
      status: 'committing',
      decision: 'commit',
      reason: null,
      timeoutMs: TIMEOUT_MS,
      createdAt: new Date(minted).toISOString(),
      deadline: new Date(minted + TIMEOUT_MS).toISOString(),
    });
    expect(view.branches.map((b) => [b.gid, b.status])).toEqual(branches.map((b) => [b.gid, 'prepared']));
    expect(await row(id)).toMatchObject({
      status: 'committing',
      initiator: ORDER,
      compat: false,
      timeoutMs: TIMEOUT_MS,
      createdAt: new Date(minted),
      deadline: new Date(minted + TIMEOUT_MS),
    });

    for (const service of [ACCOUNT, PRODUCT]) {
      const { message, entry } = await waitForDecisionEntry(h.capture, routingKeys.decision(service), id);
      expect(message.body).toMatchObject({ type: 'decisions', service });
      expect(message.messageId).toBe(message.body.messageId);
      expect(entry).toEqual({
        transactionId: id,
        decision: 'commit',
        branches: [{ branchId: expect.any(String), gid: branches.find((b) => b.service === service)!.gid }],
      });
    }
    const [event] = await waitFor(() => {
      const got = lifecycleOf(routingKeys.committed, id);
      return got.length > 0 ? got : undefined;
    });
    expect(event!.body).toMatchObject({
      type: routingKeys.committed,
      transactionId: id,
      status: 'committing',
    });
    await waitAnnounced(h.dbUrl, id);
    // Default lifecycle events: no begun, and the one committed event only.
    expect(lifecycleOf(routingKeys.begun, id)).toEqual([]);
    expect(lifecycleOf(routingKeys.committed, id)).toHaveLength(1);
    expect(await outboxKeys(h.dbUrl, id)).toEqual([]);

    // Every branch acknowledges an announced decision: committed, with no further event.
    await h.client(app).recordOutcomes({
      outcomes: branches.map((b) => ({ transactionId: id, gid: b.gid, outcome: 'committed' as const })),
    });
    expect(await order.get(id)).toMatchObject({ status: 'committed' });
    await drained();
    expect(lifecycleOf(routingKeys.committed, id)).toHaveLength(1);
  });

  it('when the initiator rolls back an unknown UUIDv7 id, then it is created rolled back and its enlisted branches get the rollback decision', async () => {
    const id = mint();
    const branches = [branchOf(ACCOUNT, id)];
    const view = await order.rollback(id, 'out of stock', branches);
    expect(view).toMatchObject({ id, status: 'rolling-back', decision: 'rollback', reason: 'out of stock' });
    expect(await row(id)).toMatchObject({ initiator: ORDER, timeoutMs: TIMEOUT_MS });
    const { entry } = await waitForDecisionEntry(h.capture, routingKeys.decision(ACCOUNT), id);
    expect(entry).toMatchObject({ decision: 'rollback', branches: [{ gid: branches[0]!.gid }] });
    await waitFor(() => lifecycleOf(routingKeys.rolledBack, id).length === 1 || undefined);
    await waitAnnounced(h.dbUrl, id);
    await account.recordOutcomes({
      outcomes: [{ transactionId: id, gid: branches[0]!.gid, outcome: 'rolled-back' }],
    });
    expect(await order.get(id)).toMatchObject({ status: 'rolled-back' });

    // Nothing enlisted: rolled back and ended at once.
    const empty = mint();
    expect(await order.rollback(empty)).toMatchObject({ status: 'rolled-back', decision: 'rollback' });
    await waitFor(() => lifecycleOf(routingKeys.rolledBack, empty).length === 1 || undefined);
  });

  it('when the id was minted more than one timeout in the future, then commit and rollback are 400 and nothing is written', async () => {
    const id = mint(TIMEOUT_MS + 60_000);
    const tx = `/v1/transactions/${id}`;
    for (const [path, body] of [
      [`${tx}/commit`, { branches: [branchOf(ACCOUNT, id)] }],
      [`${tx}/commit`, {}],
      [`${tx}/rollback`, { branches: [branchOf(ACCOUNT, id)] }],
    ] as const) {
      expect({ path, ...(await post(ORDER, path, body)) }).toEqual({
        path,
        status: 400,
        error: 'invalid-request',
      });
    }
    expect(await row(id)).toBeUndefined();
    expect(await branchRows(id)).toEqual([]);
    // Less than one timeout ahead is a clock a little fast: accepted.
    const soon = mint(TIMEOUT_MS / 2);
    expect(await order.commit(soon, { branches: [branchOf(ACCOUNT, soon)] })).toMatchObject({
      status: 'committing',
    });
  });
});

describe('resolve', () => {
  it('when a participant asks about an unknown transaction within its deadline, then it is active with no branches and nothing is written', async () => {
    const id = mint();
    const gid = makeGid(ACCOUNT, id, 'k1');
    expect(await post(ACCOUNT, `/v1/transactions/${id}/resolve`, { gid })).toEqual({ status: 200 });
    expect(await account.resolve(id, { gid })).toMatchObject({
      id,
      status: 'active',
      decision: null,
      branches: [],
      timeoutMs: TIMEOUT_MS,
      deadline: new Date(uuidv7Time(id)! + TIMEOUT_MS).toISOString(),
    });
    await expect(order.get(id)).rejects.toMatchObject({ name: 'TransactionNotFoundError' });
    expect(await row(id)).toBeUndefined();
    // Still the initiator's to commit.
    expect(await order.commit(id, { branches: [{ service: ACCOUNT, gid }] })).toMatchObject({
      status: 'committing',
    });
    expect(await account.resolve(id, { gid })).toMatchObject({ status: 'committing', decision: 'commit' });
  });

  it('when it is unknown past its deadline, then a tombstone is written and announced, and no late commit wins — at any replica, whatever its clock', async () => {
    const id = expiredId();
    const gid = makeGid(ACCOUNT, id, 'k1');
    const answer = await account.resolve(id, { gid });
    expect(answer).toMatchObject({ id, status: 'rolled-back', decision: 'rollback', reason: PRESUMED_ABORT });
    expect(await row(id)).toMatchObject({
      status: 'rolled-back',
      decision: 'rollback',
      reason: PRESUMED_ABORT,
      initiator: null,
    });
    const [event] = await waitFor(() => {
      const got = lifecycleOf(routingKeys.rolledBack, id);
      return got.length > 0 ? got : undefined;
    });
    expect(event!.body).toMatchObject({ transactionId: id, status: 'rolled-back', reason: PRESUMED_ABORT });
    // Asked again: the same answer, nothing written twice.
    expect(await account.resolve(id, { gid })).toMatchObject({
      status: 'rolled-back',
      reason: PRESUMED_ABORT,
    });

    const late = confirmed();
    const before = { row: await row(id), branches: await branchRows(id) };
    // A replica whose clock is a whole timeout behind still thinks the transaction is in time.
    const behind = await h.start(
      { defaultTimeoutMs: TIMEOUT_MS },
      { clock: () => new Date(h.clock.now().getTime() - TIMEOUT_MS) },
    );
    for (const [via, identity, events] of [
      [app, ORDER, [late]],
      [behind, ORDER, [late]],
      // Whoever commits a tombstone only hears it rolled back.
      [app, PRODUCT, []],
    ] as const) {
      await expect(
        h.clientAs(via, identity).commit(id, { branches: [{ service: ACCOUNT, gid }], events: [...events] }),
      ).rejects.toMatchObject({ name: 'TransactionConflictError', code: 'transaction-rolled-back' });
    }
    await expect(h.clientAs(behind, ORDER).commit(id)).rejects.toMatchObject({
      code: 'transaction-rolled-back',
    });
    expect({ row: await row(id), branches: await branchRows(id) }).toEqual(before);
    await drained();
    expect(captured(late.body.messageId)).toEqual([]);
    expect(lifecycleOf(routingKeys.committed, id)).toEqual([]);
    expect(lifecycleOf(routingKeys.rolledBack, id)).toHaveLength(1);
    await h.stop(behind);
  });

  it('when the gid is another service’s, then it is 403; when it names another transaction, 400 — and no tombstone is written', async () => {
    const id = expiredId();
    const gid = makeGid(ACCOUNT, id, 'k1');
    expect(await post(PRODUCT, `/v1/transactions/${id}/resolve`, { gid })).toEqual({
      status: 403,
      error: 'forbidden',
    });
    const other = makeGid(ACCOUNT, mint(), 'k1');
    expect(await post(ACCOUNT, `/v1/transactions/${id}/resolve`, { gid: other })).toEqual({
      status: 400,
      error: 'invalid-request',
    });
    expect(await post(ACCOUNT, `/v1/transactions/${id}/resolve`, {})).toEqual({
      status: 400,
      error: 'invalid-request',
    });
    expect(await row(id)).toBeUndefined();
  });
});

describe('events handed over with the commit', () => {
  it('when the decision is commit, then the initiator’s events are published with their own message ids', async () => {
    const id = mint();
    const events = [confirmed(), { routingKey: 'order.paid', body: { messageId: uuidv7(), amount: 12 } }];
    await order.commit(id, { branches: [branchOf(ACCOUNT, id)], events });
    for (const e of events) {
      const [m] = await waitFor(() => {
        const got = captured(e.body.messageId);
        return got.length > 0 ? got : undefined;
      });
      expect(m).toMatchObject({ routingKey: e.routingKey, messageId: e.body.messageId, persistent: true });
      expect(m!.body).toEqual(e.body);
    }
    expect((await row(id))?.events).toEqual(events);
    await waitAnnounced(h.dbUrl, id);

    // Nothing to acknowledge (no branch): committed at once, its events through the outbox.
    const bare = mint();
    const alone = confirmed();
    expect(await order.commit(bare, { events: [alone] })).toMatchObject({ status: 'committed' });
    await waitFor(() => captured(alone.body.messageId).length > 0 || undefined);
  });

  it('when the commit decides rollback, then none of its events is published', async () => {
    // Past the deadline: the commit rolls back (timeout).
    const late = expiredId();
    const lateEvent = confirmed();
    await expect(
      order.commit(late, { branches: [branchOf(ACCOUNT, late)], events: [lateEvent] }),
    ).rejects.toMatchObject({ code: 'transaction-rolled-back' });
    expect(await row(late)).toMatchObject({ status: 'rolling-back', reason: 'timeout', events: null });

    // A branch voted no.
    const refused = mint();
    const refusedEvent = confirmed();
    await h.client(app).registerBranch(refused, {
      initiator: ORDER,
      service: PRODUCT,
      instance: 'p1',
      gid: makeGid(PRODUCT, refused, 'no'),
      vote: 'no',
      reason: 'out of stock',
    });
    await expect(
      order.commit(refused, { branches: [branchOf(ACCOUNT, refused)], events: [refusedEvent] }),
    ).rejects.toMatchObject({ code: 'transaction-rolled-back' });

    await waitFor(() => lifecycleOf(routingKeys.rolledBack, late).length > 0 || undefined);
    await waitFor(() => lifecycleOf(routingKeys.rolledBack, refused).length > 0 || undefined);
    await drained();
    expect(captured(lateEvent.body.messageId)).toEqual([]);
    expect(captured(refusedEvent.body.messageId)).toEqual([]);
  });

  it('when an event’s routing key is another service’s or a reserved one, then the commit is 403 and nothing is written', async () => {
    const DECIDER = h.service('decision');
    const TRANSACTOR = h.service('transaction');
    for (const [identity, routingKey] of [
      [ORDER, 'account.debited'],
      [ORDER, 'decision.x'],
      [ORDER, 'transaction.x'],
      [ORDER, `decision.${ACCOUNT}`],
      // A service whose first word is a reserved one still may not forge decisions or lifecycle events.
      [DECIDER, `decision.${ACCOUNT}`],
      [TRANSACTOR, 'transaction.committed'],
      [ORDER, 'orders.confirmed'],
    ] as const) {
      const id = mint();
      const event = { routingKey, body: { messageId: uuidv7() } };
      const res = await post(identity, `/v1/transactions/${id}/commit`, {
        branches: [branchOf(ACCOUNT, id)],
        events: [event],
      });
      expect({ routingKey, ...res }).toEqual({ routingKey, status: 403, error: 'forbidden' });
      expect(await row(id)).toBeUndefined();
      expect(await branchRows(id)).toEqual([]);
    }
  });

  it('when the events are malformed, then the commit is 400 and nothing is written', async () => {
    const messageId = uuidv7();
    const bodies: unknown[] = [
      [{ routingKey: 'order.confirmed', body: { orderId: 1 } }],
      [{ routingKey: 'order.confirmed', body: { messageId: 'not-a-uuid' } }],
      [{ routingKey: 'order.confirmed' }],
      [{ routingKey: 'order', body: { messageId } }],
      [{ routingKey: 'Order.Confirmed', body: { messageId } }],
      [{ routingKey: 'order.confirmed', body: { messageId }, extra: true }],
      [
        { routingKey: 'order.confirmed', body: { messageId } },
        { routingKey: 'order.paid', body: { messageId } },
      ],
      Array.from({ length: MAX_COMMIT_EVENTS + 1 }, () => confirmed()),
      [{ routingKey: 'order.confirmed', body: { messageId, blob: 'x'.repeat(20_000) } }],
      { routingKey: 'order.confirmed', body: { messageId } },
    ];
    for (const events of bodies) {
      const id = mint();
      const res = await post(ORDER, `/v1/transactions/${id}/commit`, {
        branches: [branchOf(ACCOUNT, id)],
        events,
      });
      expect({ events, ...res }).toEqual({ events, status: 400, error: 'invalid-request' });
      expect(await row(id)).toBeUndefined();
    }
    // Exactly the most allowed is fine.
    const id = mint();
    const most = Array.from({ length: MAX_COMMIT_EVENTS }, () => confirmed());
    expect(await order.commit(id, { branches: [branchOf(ACCOUNT, id)], events: most })).toMatchObject({
      status: 'committing',
    });
  });
});

// Last: these move the test clock past the re-publish time.
describe('a coordinator that died between the commit and the publish', () => {
  let crashed: RunningCoordinator;
  beforeAll(async () => {
    crashed = await h.start(
      { defaultTimeoutMs: TIMEOUT_MS, republishAfterMs: REPUBLISH_AFTER_MS },
      { flushAfterCommit: false },
    );
  });
  afterAll(() => h.stop(crashed));

  it('when the re-publish comes, then it sends the decision and the lifecycle and commit events, and marks the row announced', async () => {
    const id = mint();
    const branches = [branchOf(ACCOUNT, id)];
    const events = [confirmed()];
    expect(await h.clientAs(crashed, ORDER).commit(id, { branches, events })).toMatchObject({
      status: 'committing',
    });
    await drained();
    expect(decisionEntriesFor(h.capture, routingKeys.decision(ACCOUNT), id)).toEqual([]);
    expect(lifecycleOf(routingKeys.committed, id)).toEqual([]);
    expect(captured(events[0]!.body.messageId)).toEqual([]);
    expect(await isAnnounced(h.dbUrl, id)).toBe(false);

    h.clock.advance(REPUBLISH_AFTER_MS + 1);
    expect((await app.sweeper.runOnce()).republished).toBeGreaterThanOrEqual(1);
    const { entry } = await waitForDecisionEntry(h.capture, routingKeys.decision(ACCOUNT), id);
    expect(entry).toMatchObject({ decision: 'commit', branches: [{ gid: branches[0]!.gid }] });
    await waitFor(() => lifecycleOf(routingKeys.committed, id).length > 0 || undefined);
    const [event] = await waitFor(() => {
      const got = captured(events[0]!.body.messageId);
      return got.length > 0 ? got : undefined;
    });
    expect(event).toMatchObject({ routingKey: 'order.confirmed', body: events[0]!.body });
    expect(await row(id)).toMatchObject({ announced: true, republishCount: 1, status: 'committing' });

    await account.recordOutcomes({
      outcomes: [{ transactionId: id, gid: branches[0]!.gid, outcome: 'committed' }],
    });
    expect(await order.get(id)).toMatchObject({ status: 'committed' });
    // A second sweep announces nothing again.
    h.clock.advance(REPUBLISH_AFTER_MS * 4);
    await app.sweeper.runOnce();
    await drained();
    expect(lifecycleOf(routingKeys.committed, id)).toHaveLength(1);
    expect(captured(events[0]!.body.messageId)).toHaveLength(1);
  });

  it('when every branch acknowledged while the decision was unannounced, then it stays committing until the re-publish announces it, then ends committed', async () => {
    const id = mint();
    const branches = [branchOf(ACCOUNT, id)];
    const events = [confirmed()];
    await h.clientAs(crashed, ORDER).commit(id, { branches, events });
    // The participant learnt the outcome some other way (its recovery's resolve) and acknowledges.
    expect(await account.resolve(id, { gid: branches[0]!.gid })).toMatchObject({ decision: 'commit' });
    await account.recordOutcomes({
      outcomes: [{ transactionId: id, gid: branches[0]!.gid, outcome: 'committed' }],
    });
    expect(await order.get(id)).toMatchObject({ status: 'committing', branches: [{ status: 'committed' }] });
    expect(await isAnnounced(h.dbUrl, id)).toBe(false);

    h.clock.advance(REPUBLISH_AFTER_MS + 1);
    await app.sweeper.runOnce();
    expect(await order.get(id)).toMatchObject({ status: 'committed' });
    expect(await row(id)).toMatchObject({ announced: true, nextRepublishAt: null });
    await waitFor(() => lifecycleOf(routingKeys.committed, id).length > 0 || undefined);
    await waitFor(() => captured(events[0]!.body.messageId).length > 0 || undefined);
    await drained();
    // Nobody is left to tell: no decision message, one lifecycle event.
    expect(decisionEntriesFor(h.capture, routingKeys.decision(ACCOUNT), id)).toEqual([]);
    expect(lifecycleOf(routingKeys.committed, id)).toHaveLength(1);
  });
});
