import { BRANCH_HEADER, ENLIST_BY_INITIATOR, ENLIST_HEADER, TRANSACTION_HEADER } from '@trx/protocol';
import { Client } from 'pg';
import { callWithHeaders, TEST_CALLER, testCredentials, waitFor, harnessPerFile } from '@trx/test-support';
import { SERVICE_NAME } from '../src/config';
import { AccountHarness } from './account-harness';

/** Withdrawals the initiator enlists with its commit or rollback (x-transaction-enlist: initiator). */
let h: AccountHarness;
let url: string;

harnessPerFile(AccountHarness.start, (started, app) => ((h = started), (url = app.url)));

const enlisted = (txId: string) => ({ [TRANSACTION_HEADER]: txId, [ENLIST_HEADER]: ENLIST_BY_INITIATOR });
const withdraw = (accountId: number, amount: number, headers: Record<string, string>) =>
  callWithHeaders(url, 'POST', `/accounts/${accountId}/withdrawals`, { amount }, headers);

it('when the initiator enlists the withdrawal, then it gets the gid, the coordinator has no branch until the commit, and the balance changes on the commit', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await withdraw(2, 40, enlisted(tx.id));
  expect(res).toMatchObject({ status: 201, body: { accountId: 2, amount: 40, balance: 1960 } });
  const gid = res.headers.get(BRANCH_HEADER)!;
  expect(gid.startsWith(`trx:${SERVICE_NAME}:${tx.id}:`)).toBe(true);
  expect(await h.prepared()).toEqual([gid]);
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  expect(await h.balanceOf(2)).toBe(2000);

  await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE_NAME, gid }] });
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
  expect((await h.coordinator.get(tx.id)).branches.map((b) => [b.gid, b.status])).toEqual([
    [gid, 'committed'],
  ]);
  expect(await h.balanceOf(2)).toBe(1960);
  expect(await h.withdrawalsOf(tx.id)).toEqual([{ account_id: 2, amount: '40.00' }]);
  expect(await h.prepared()).toEqual([]);
});

it('when the initiator rolls back with the withdrawal enlisted, then the balance is unchanged', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await withdraw(3, 10, enlisted(tx.id));
  expect(res.status).toBe(201);
  const gid = res.headers.get(BRANCH_HEADER)!;
  await h.coordinator.rollback(tx.id, 'the order failed later', [{ service: SERVICE_NAME, gid }]);
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'rolled-back');
  expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['rolled-back']);
  expect(await h.balanceOf(3)).toBe(5000);
  expect(await h.withdrawalsOf(tx.id)).toEqual([]);
  expect(await h.prepared()).toEqual([]);
});

it('when the account has too little money in an enlisted withdrawal, then it is refused and the coordinator hears nothing', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await withdraw(1, 1_000_000, enlisted(tx.id));
  expect(res).toMatchObject({ status: 409, body: { error: 'insufficient-funds' } });
  expect(res.headers.get(BRANCH_HEADER)).toBeNull();
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  expect(await h.prepared()).toEqual([]);
  await h.coordinator.rollback(tx.id, 'test');
});

it('when the enlist header has an unknown value, then the request is refused with 400 and nothing changes', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const rowsBefore = await h.sql('SELECT * FROM withdrawals');
  for (const headers of <Record<string, string>[]>[
    { [TRANSACTION_HEADER]: tx.id, [ENLIST_HEADER]: 'yes' },
    { [ENLIST_HEADER]: ENLIST_BY_INITIATOR },
  ]) {
    const res = await withdraw(1, 5, headers);
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
    expect(res.headers.get(BRANCH_HEADER)).toBeNull();
  }
  expect(await h.balanceOf(1)).toBe(1000);
  expect(await h.sql('SELECT * FROM withdrawals')).toEqual(rowsBefore);
  expect(await h.prepared()).toEqual([]);
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  await h.coordinator.rollback(tx.id, 'test');
});

it('when the caller gives up while the withdrawal waits for a row lock, then the branch is never left prepared', async () => {
  await h.addAccounts([5]);
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const before = await h.balanceOf(5);
  // Another transaction holds the account's row, so the withdrawal waits past its caller's patience.
  const blocker = new Client({ connectionString: h.dbUrl });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM accounts WHERE id = 5 FOR UPDATE');
  const abort = new AbortController();
  const call = fetch(`${url}/accounts/5/withdrawals`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: testCredentials.bearer(TEST_CALLER),
      ...enlisted(tx.id),
    },
    body: JSON.stringify({ amount: 7 }),
    signal: abort.signal,
  }).catch((err: Error) => err.name);
  // The withdrawal is queued behind the row lock: only now does its caller give up.
  await waitFor(async () => (await h.sessionsWhere("wait_event_type = 'Lock'")) === 1, {
    description: 'the withdrawal waiting for the row lock',
  });
  abort.abort();
  expect(await call).toBe('AbortError');
  await blocker.query('COMMIT');
  await blocker.end();
  // The withdrawal has run to its end once no session of the service is inside a transaction
  // (recovery would only find a stray branch after seconds; the runtime must not leave one at all).
  await waitFor(async () => (await h.sessionsWhere("state <> 'idle'")) === 0, {
    description: 'the withdrawal finished',
  });
  expect(await h.prepared()).toEqual([]);
  expect(await h.withdrawalsOf(tx.id)).toEqual([]);
  expect(await h.balanceOf(5)).toBe(before);
  await h.coordinator.rollback(tx.id, 'test');
});
