import { Client } from 'pg';
import { TRANSACTION_HEADER } from '@trx/protocol';
import { callWithHeaders, waitFor } from '@trx/test-support';
import { AccountHarness, call } from './account-harness';

const LOCK_TIMEOUT_MS = 300;

let h: AccountHarness;
let url: string;

beforeAll(async () => {
  h = await AccountHarness.start();
  url = (await h.startApp({ lockTimeoutMs: LOCK_TIMEOUT_MS, maxPreparedBranches: 1 })).url;
  await h.addAccounts([101, 102, 103, 104, 105, 106, 107]);
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const inTx = (txId: string) => ({ [TRANSACTION_HEADER]: txId });
const withdraw = (accountId: number, headers: Record<string, string> = {}) =>
  callWithHeaders(url, 'POST', `/accounts/${accountId}/withdrawals`, { amount: 1 }, headers);

async function settle(txId: string): Promise<void> {
  await h.coordinator.rollback(txId, 'test done').catch(() => undefined);
  await waitFor(async () => (await h.prepared()).length === 0, { description: 'no branch left prepared' });
}

describe('a branch that waits on a row lock', () => {
  it('when an open transaction holds the account row, then the withdrawal answers 503 lock-timeout within the lock timeout, votes no, and after the lock is released the next withdrawal works', async () => {
    const holder = new Client({ connectionString: h.dbUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accounts WHERE id = 101 FOR UPDATE');
      const tx = await h.coordinator.begin({ initiator: 'test' });
      const started = Date.now();
      const refused = await withdraw(101, inTx(tx.id));
      expect(Date.now() - started).toBeLessThan(LOCK_TIMEOUT_MS + 2000);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ error: 'lock-timeout', retryable: true });
      expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['failed']);
      // The pool is usable meanwhile: other rows are served.
      expect((await withdraw(102)).status).toBe(201);
      await settle(tx.id);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const before = await h.balanceOf(101);
    expect((await withdraw(101)).status).toBe(201);
    expect(await h.balanceOf(101)).toBe(before - 1);
  });

  it('when a prepared branch holds the account row, then another transaction gets lock-timeout, and after the first is decided the next one is served', async () => {
    const first = await h.coordinator.begin({ initiator: 'test' });
    expect((await withdraw(103, inTx(first.id))).status).toBe(201);
    const second = await h.coordinator.begin({ initiator: 'test' });
    const refused = await withdraw(103, inTx(second.id));
    // 503 either way: the row is locked, and (cap 1) a second branch could not prepare.
    expect(refused).toMatchObject({ status: 503, body: { error: 'lock-timeout' } });
    await h.coordinator.rollback(second.id, 'refused');
    await settle(first.id);
    const third = await h.coordinator.begin({ initiator: 'test' });
    expect((await withdraw(103, inTx(third.id))).status).toBe(201);
    await settle(third.id);
  });
});

describe('the cap of prepared branches', () => {
  it('when the service already has its cap of branches prepared, then the next branch answers 503 too-many-prepared before preparing, and once one is finished the next is served', async () => {
    const held = await h.coordinator.begin({ initiator: 'test' });
    expect((await withdraw(104, inTx(held.id))).status).toBe(201);
    const before = await h.balanceOf(105);
    const refused = await h.coordinator.begin({ initiator: 'test' });
    const res = await withdraw(105, inTx(refused.id));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body).toMatchObject({ error: 'too-many-prepared', retryable: true });
    expect((await h.coordinator.get(refused.id)).branches.map((b) => b.status)).toEqual(['failed']);
    expect(await h.prepared()).toHaveLength(1);
    expect(await h.balanceOf(105)).toBe(before);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/trx_participant_branches_total\{result="too-many-prepared"[^}]*\} 1/);
    await h.coordinator.rollback(refused.id, 'refused');
    await settle(held.id);
    const next = await h.coordinator.begin({ initiator: 'test' });
    expect((await call(url, 'POST', '/accounts/105/withdrawals', { amount: 1 }, inTx(next.id))).status).toBe(
      201,
    );
    await settle(next.id);
  });
});

describe('the pool connection timeout', () => {
  it('when every pooled connection is busy longer than the connection timeout, then the next request answers 503 database-unavailable, and once one is free the next request is served', async () => {
    // Two connections: migrating at start holds one while it runs on the other.
    // The connection timeout well above what opening a connection takes on a busy machine (300 ms
    // was not), the lock timeout 2 s above it and below the statement timeout, so none race.
    const small = await h.startApp({ dbPoolSize: 2, dbConnectionTimeoutMs: 1000, lockTimeoutMs: 3000 });
    const holder = new Client({ connectionString: h.dbUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accounts WHERE id = 106 FOR UPDATE');
      // Both of the pool's connections wait on the row lock...
      const waiting = [1, 2].map(() =>
        callWithHeaders(small.url, 'POST', '/accounts/106/withdrawals', { amount: 1 }),
      );
      await waitFor(
        async () =>
          (
            await h.sql(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).length === 2,
        { description: 'two withdrawals waiting on the row lock' },
      );
      // ...so another request finds no connection within the timeout.
      const refused = await callWithHeaders(small.url, 'POST', '/accounts/107/withdrawals', { amount: 1 });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ error: 'database-unavailable', retryable: true });
      for (const answer of await Promise.all(waiting)) {
        expect(answer).toMatchObject({ status: 503, body: { error: 'lock-timeout' } });
      }
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(
      (await callWithHeaders(small.url, 'POST', '/accounts/107/withdrawals', { amount: 1 })).status,
    ).toBe(201);
  });
});
