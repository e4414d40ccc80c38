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
  const [a, b] = [await h.start(), await h.start()];
  const [apiA, apiB] = [h.client(a), h.client(b)];
  const [ACCOUNT, PRODUCT] = [h.service('account'), h.service('product')];
  const txs = await begunMany(apiA, 20);
  const views = await Promise.all(
    txs.map((tx) =>
      apiA.commit(tx.id, { branches: [preparedBranch(ACCOUNT, tx), preparedBranch(PRODUCT, tx)] }),
    ),
  );
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
  const decisions = () =>
    h.capture.messages.filter(
      (m) => ids.has(m.body.transactionId as string) && m.routingKey.startsWith('decision.'),
    );
  await waitFor(() => decisions().length >= 2 * txs.length, { description: 'every decision' });
  expect((await a.outbox.runOnce()) + (await b.outbox.runOnce())).toBe(0);

  const perService = new Map<string, number>();
  for (const m of decisions()) {
    const key = `${m.body.transactionId} ${m.routingKey}`;
    perService.set(key, (perService.get(key) ?? 0) + 1);
  }
  expect(perService.size).toBe(2 * txs.length);
  expect([...perService.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(decisions().map((m) => m.messageId)).size).toBe(decisions().length);
  // A batch marks its rows with one timestamp: fewer batches than commits means flushes were coalesced.
  const [{ batches }] = (await queryDatabase<{ batches: number }>(
    h.dbUrl,
    `SELECT count(DISTINCT published_at)::int AS batches FROM trx_outbox
      WHERE routing_key LIKE 'decision.%' AND body->>'transactionId' = ANY($1)`,
    [[...ids]],
  )) as [{ batches: number }];
  expect(batches).toBeLessThan(txs.length);
  await h.stop(a);
  await h.stop(b);
});
