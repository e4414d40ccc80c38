import { Client } from 'pg';
import { routingKeys, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { queryDatabase, waitFor } from '@trx/test-support';
import { CoordinatorHarness } from './coordinator-harness';
import { preparedBranch } from './enlisting';

const h = new CoordinatorHarness();
beforeAll(() => h.setUp());
afterAll(() => h.tearDown());

async function lockWaiters(): Promise<number> {
  const [row] = await queryDatabase<{ n: number }>(
    h.dbUrl,
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return row!.n;
}

async function begunMany(api: CoordinatorApi, n: number): Promise<TransactionView[]> {
  const txs: TransactionView[] = [];
  for (let i = 0; i < n; i++) txs.push(await api.begin());
  return txs;
}

test('when two coordinator instances receive the last acknowledgements of the same transactions at once, then each transaction ends exactly once', async () => {
  // TRX_LIFECYCLE_EVENTS=all, so that each end writes an event to count.
  const [a, b] = [await h.start({ lifecycleEvents: 'all' }), await h.start({ lifecycleEvents: 'all' })];
  const [apiA, apiB] = [h.client(a), h.client(b)];
  const [ACCOUNT, PRODUCT] = [h.service('account'), h.service('product')];
  const txs = await begunMany(apiA, 20);
  const views = await Promise.all(
    txs.map((tx) =>
      apiA.commit(tx.id, { branches: [preparedBranch(ACCOUNT, tx), preparedBranch(PRODUCT, tx)] }),
    ),
  );
  // A transaction ends once every branch acknowledged and its decision is announced: wait for the publisher.
  await waitFor(async () => (await Promise.all(txs.map((t) => h.announced(t.id)))).every(Boolean), {
    description: 'every decision announced',
  });
  // Each instance gets one branch of every transaction, in opposite orders: both lock in id order.
  const batchOf = (i: 0 | 1) =>
    views.map((v) => ({ transactionId: v.id, gid: v.branches[i]!.gid, outcome: 'committed' as const }));
  // Hold the transactions so that both batches are waiting before either starts: a real race.
  const blocker = new Client({ connectionString: h.dbUrl });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM trx_transaction WHERE id = ANY($1::uuid[]) FOR UPDATE', [
    txs.map((t) => t.id),
  ]);
  const racing = Promise.all([
    apiA.recordOutcomes({ outcomes: batchOf(0) }),
    apiB.recordOutcomes({ outcomes: batchOf(1).reverse() }),
  ]);
  try {
    await waitFor(async () => (await lockWaiters()) >= 2, { description: 'both batches waiting' });
  } finally {
    await blocker.query('COMMIT');
    await blocker.end();
  }
  const answers = await racing;
  expect(answers).toEqual([
    { recorded: 20, rejected: [] },
    { recorded: 20, rejected: [] },
  ]);

  for (const tx of txs) {
    const view = await apiA.get(tx.id);
    expect(view.status).toBe('committed');
    expect(view.branches.map((x) => x.status)).toEqual(['committed', 'committed']);
  }
  const ends = await queryDatabase<{ transaction_id: string; n: number }>(
    h.dbUrl,
    `SELECT body->>'transactionId' AS transaction_id, count(*)::int AS n FROM trx_outbox
      WHERE body->>'status' = 'committed' GROUP BY 1`,
  );
  expect(ends.filter((e) => txs.some((t) => t.id === e.transaction_id)).map((e) => e.n)).toEqual(
    txs.map(() => 1),
  );
  await waitFor(
    () =>
      h.capture.messages.filter(
        (m) => m.routingKey === routingKeys.committed && m.body.status === 'committed',
      ).length >= txs.length,
  );
  await h.stop(a);
  await h.stop(b);
});

test('when many initiators commit at once on two instances, then every decision is published exactly once per service, in shared batches', async () => {
  const [a, b] = [await h.start(), await h.start()];
  const [apiA, apiB] = [h.client(a), h.client(b)];
  const [ACCOUNT, PRODUCT] = [h.service('account2'), h.service('product2')];
  const txs = await begunMany(apiA, 60);
  await Promise.all(
    txs.map((tx, i) =>
      (i % 2 ? apiA : apiB).commit(tx.id, {
        branches: [preparedBranch(ACCOUNT, tx), preparedBranch(PRODUCT, tx)],
      }),
    ),
  );
  const ids = new Set(txs.map((t) => t.id));
  const decisions = () => h.decisions().filter((d) => ids.has(d.transactionId));
  await waitFor(() => decisions().length >= 2 * txs.length, { description: 'every decision' });
  await waitFor(async () => (await Promise.all(txs.map((t) => h.announced(t.id)))).every(Boolean), {
    description: 'every decision announced',
  });
  // The publishers sent them: nothing in trx_outbox, nothing for a poller to send.
  expect((await a.outbox.runOnce()) + (await b.outbox.runOnce())).toBe(0);
  const [{ rows }] = (await queryDatabase<{ rows: number }>(
    h.dbUrl,
    `SELECT count(*)::int AS rows FROM trx_outbox
      WHERE routing_key LIKE 'decision.%' OR body->>'transactionId' = ANY($1)`,
    [[...ids]],
  )) as [{ rows: number }];
  expect(rows).toBe(0);

  const perService = new Map<string, number>();
  for (const d of decisions()) {
    const key = `${d.transactionId} ${d.service}`;
    perService.set(key, (perService.get(key) ?? 0) + 1);
  }
  expect(perService.size).toBe(2 * txs.length);
  expect([...perService.values()].every((n) => n === 1)).toBe(true);
  for (const d of decisions()) {
    expect(d.message.routingKey).toBe(routingKeys.decision(d.service));
    expect(d.message.body).toMatchObject({ type: 'decisions', service: d.service });
  }
  // One message per service per publishing round: fewer messages than decisions means they were shared.
  const messages = new Set(decisions().map((d) => d.message));
  expect(new Set([...messages].map((m) => m.messageId)).size).toBe(messages.size);
  expect(messages.size).toBeLessThan(decisions().length);
  // And one lifecycle event per transaction, at its decision.
  await waitFor(
    () => h.capture.messages.filter((m) => ids.has(m.body.transactionId as string)).length >= txs.length,
  );
  expect(
    h.capture.messages
      .filter((m) => ids.has(m.body.transactionId as string))
      .every((m) => m.routingKey === routingKeys.committed && m.body.status === 'committing'),
  ).toBe(true);
  expect(h.capture.messages.filter((m) => ids.has(m.body.transactionId as string))).toHaveLength(txs.length);
  await h.stop(a);
  await h.stop(b);
});
