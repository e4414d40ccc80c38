import { TRANSACTION_HEADER } from '@trx/protocol';
import { waitFor, harnessPerFile } from '@trx/test-support';
import { AccountHarness, call } from './account-harness';

let h: AccountHarness;
let url: string;

harnessPerFile(AccountHarness.start, (started, app) => ((h = started), (url = app.url)));

const inTx = (txId: string) => ({ [TRANSACTION_HEADER]: txId });

describe('reading accounts', () => {
  it('serves the first-run data', async () => {
    expect(await call(url, 'GET', '/accounts/3')).toEqual({
      status: 200,
      body: { id: 3, customerId: 3, balance: 5000 },
    });
    expect((await call(url, 'GET', '/accounts?customerId=2')).body).toEqual({
      items: [{ id: 2, customerId: 2, balance: 2000 }],
      next: null,
    });
    expect(await call(url, 'GET', '/accounts?customerId=99')).toEqual({
      status: 200,
      body: { items: [], next: null },
    });
  });

  it('refuses unknown and malformed ids', async () => {
    expect(await call(url, 'GET', '/accounts/42')).toMatchObject({
      status: 404,
      body: { error: 'unknown-account' },
    });
    expect(await call(url, 'GET', '/accounts')).toMatchObject({
      status: 400,
      body: { error: 'invalid-request' },
    });
    expect(await call(url, 'GET', '/accounts?customerId=x')).toMatchObject({ status: 400 });
  });

  it("pages a customer's accounts by id with limit and cursor, and refuses a bad cursor with 400", async () => {
    await h.sql('INSERT INTO customers (id, name) VALUES (77, $1)', ['paged']);
    await h.sql(
      'INSERT INTO accounts (id, customer_id, balance) VALUES (771, 77, 1), (772, 77, 2), (773, 77, 3)',
    );
    const first = await call(url, 'GET', '/accounts?customerId=77&limit=2');
    expect(first.body.items.map((a: { id: number }) => a.id)).toEqual([771, 772]);
    const second = await call(url, 'GET', `/accounts?customerId=77&limit=2&cursor=${first.body.next}`);
    expect(second.body).toEqual({ items: [{ id: 773, customerId: 77, balance: 3 }], next: null });
    for (const query of ['cursor=nope', 'limit=101', 'limit=0', 'offset=2']) {
      expect(await call(url, 'GET', `/accounts?customerId=77&${query}`)).toMatchObject({
        status: 400,
        body: { error: 'invalid-request' },
      });
    }
    expect((await call(url, 'GET', '/accounts?customerId=77')).body.items).toHaveLength(3);
  });
});

describe('a withdrawal', () => {
  it('without a transaction id is committed at once', async () => {
    const before = await h.balanceOf(1);
    const res = await call(url, 'POST', '/accounts/1/withdrawals', { amount: 10.5 });
    expect(res).toEqual({ status: 201, body: { accountId: 1, amount: 10.5, balance: before - 10.5 } });
    expect(await h.balanceOf(1)).toBe(before - 10.5);
  });

  it('in a transaction that commits, then the balance and the withdrawal are stored, nothing left prepared', async () => {
    const before = await h.balanceOf(2);
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const res = await call(url, 'POST', '/accounts/2/withdrawals', { amount: 120.25 }, inTx(tx.id));
    expect(res).toEqual({ status: 201, body: { accountId: 2, amount: 120.25, balance: before - 120.25 } });
    expect(await h.balanceOf(2)).toBe(before); // prepared, not yet visible
    await h.coordinator.commit(tx.id);
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
    expect(await h.balanceOf(2)).toBe(before - 120.25);
    expect(await h.withdrawalsOf(tx.id)).toEqual([{ account_id: 2, amount: '120.25' }]);
    expect(await h.prepared()).toEqual([]);
  });

  it('in a transaction that rolls back, then nothing changes', async () => {
    const before = await h.balanceOf(2);
    const tx = await h.coordinator.begin({ initiator: 'test' });
    expect((await call(url, 'POST', '/accounts/2/withdrawals', { amount: 5 }, inTx(tx.id))).status).toBe(201);
    await h.coordinator.rollback(tx.id, 'test');
    await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'rolled-back');
    expect(await h.balanceOf(2)).toBe(before);
    expect(await h.withdrawalsOf(tx.id)).toEqual([]);
    expect(await h.prepared()).toEqual([]);
  });

  it('when the account has too little money, then it is refused and the branch votes no', async () => {
    const tx = await h.coordinator.begin({ initiator: 'test' });
    const res = await call(url, 'POST', '/accounts/3/withdrawals', { amount: 1_000_000 }, inTx(tx.id));
    expect(res).toMatchObject({ status: 409, body: { error: 'insufficient-funds' } });
    expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['failed']);
    await h.coordinator.rollback(tx.id);
    expect(await h.prepared()).toEqual([]);
  });

  it('refuses unknown accounts and malformed amounts', async () => {
    const post = (path: string, body: unknown) => call(url, 'POST', path, body);
    expect(await post('/accounts/42/withdrawals', { amount: 1 })).toMatchObject({
      status: 404,
      body: { error: 'unknown-account' },
    });
    for (const amount of [0, -5, 1.234, '10', null]) {
      const res = await post('/accounts/1/withdrawals', { amount });
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
      expect(res.body.details).toBeDefined();
    }
  });

  it('when its transaction was already decided, then it is refused with transaction-decided', async () => {
    const before = await h.balanceOf(3);
    const tx = await h.coordinator.begin({ initiator: 'test' });
    await h.coordinator.rollback(tx.id, 'decided first');
    const res = await call(url, 'POST', '/accounts/3/withdrawals', { amount: 1 }, inTx(tx.id));
    expect(res).toMatchObject({ status: 409, body: { error: 'transaction-decided' } });
    expect(await h.balanceOf(3)).toBe(before);
    expect(await h.prepared()).toEqual([]);
  });
});

describe('health', () => {
  it('is ready when database, broker and coordinator answer, and serves metrics', async () => {
    expect(await call(url, 'GET', '/health/live')).toEqual({ status: 200, body: { status: 'up' } });
    expect(await call(url, 'GET', '/health/ready')).toEqual({
      status: 200,
      body: { status: 'up', checks: { database: 'up', broker: 'up', coordinator: 'up' } },
    });
    const metrics = await fetch(`${url}/metrics`);
    const text = await metrics.text();
    expect(text).toContain('http_requests_total');
    expect(text).toMatch(/trx_participant_branches_total\{result="prepared"[^}]*\} [1-9]/);
    expect(text).toMatch(
      /trx_participant_decisions_total\{decision="commit",outcome="committed"[^}]*\} [1-9]/,
    );
  });

  it('says which dependency fails', async () => {
    const lonely = await h.startApp({ serviceUrls: { 'transaction-server': ['http://127.0.0.1:9'] } });
    const res = await call(lonely.url, 'GET', '/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks).toMatchObject({ database: 'up', broker: 'up' });
    expect(res.body.checks.coordinator).toBe('down');
    await lonely.stop();
  });
});
