import { Client } from 'pg';
import { BRANCH_HEADER, ENLIST_BY_INITIATOR, ENLIST_HEADER, TRANSACTION_HEADER } from '@trx/protocol';
import { callWithHeaders, harnessPerFile, waitFor } from '@trx/test-support';
import { SERVICE_NAME } from '../src/config';
import { AccountHarness } from './account-harness';

/**
 * Charging a customer, `POST /customers/:id/withdrawals`: the customer's first account (lowest
 * id) whose balance covers the amount pays, chosen by the same statement that debits it.
 */
let h: AccountHarness;
let url: string;

harnessPerFile(AccountHarness.start, (started, app) => ((h = started), (url = app.url)));

const enlisted = (txId: string) => ({ [TRANSACTION_HEADER]: txId, [ENLIST_HEADER]: ENLIST_BY_INITIATOR });
const charge = (customerId: number | string, body: unknown, headers: Record<string, string> = {}) =>
  callWithHeaders(url, 'POST', `/customers/${customerId}/withdrawals`, body, headers);
const withdrawalsFrom = (accountIds: number[]) =>
  h.sql('SELECT account_id, amount, transaction_id FROM withdrawals WHERE account_id = ANY($1) ORDER BY id', [
    accountIds,
  ]);
/** Balances, withdrawals and prepared transactions: what a refused charge must not touch. */
const everything = async () => ({
  accounts: await h.sql('SELECT id, balance FROM accounts ORDER BY id'),
  withdrawals: await h.sql('SELECT * FROM withdrawals ORDER BY id'),
  prepared: await h.prepared(),
});

it('when the first accounts are too small, then the lowest id that covers the amount pays, committed at once without a transaction', async () => {
  const [small, covering, large] = await h.addCustomer(10, [5, 100, 1000], 102);
  // Inserted last, lowest id: the order is the id's, not the table's.
  await h.sql('INSERT INTO accounts (id, customer_id, balance) VALUES (101, 10, 20)');

  expect(await charge(10, { amount: 50 })).toMatchObject({
    status: 201,
    body: { customerId: 10, accountId: covering, amount: 50, balance: 50 },
  });
  expect((await charge(10, { amount: 10.25 })).body).toMatchObject({ accountId: 101, balance: 9.75 });
  expect((await charge(10, { amount: 60 })).body).toMatchObject({ accountId: large, balance: 940 });

  expect(await h.balancesOf([101, small!, covering!, large!])).toEqual([9.75, 5, 50, 940]);
  expect(await withdrawalsFrom([101, small!, covering!, large!])).toEqual([
    { account_id: covering, amount: '50.00', transaction_id: null },
    { account_id: 101, amount: '10.25', transaction_id: null },
    { account_id: large, amount: '60.00', transaction_id: null },
  ]);
});

it('when the initiator enlists the charge, then it gets the gid, the coordinator has no branch until the commit, and the debit shows on the commit', async () => {
  const [, payer] = await h.addCustomer(20, [10, 500], 201);
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await charge(20, { amount: 40 }, enlisted(tx.id));
  expect(res).toMatchObject({
    status: 201,
    body: { customerId: 20, accountId: payer, amount: 40, balance: 460 },
  });
  const gid = res.headers.get(BRANCH_HEADER)!;
  expect(gid.startsWith(`trx:${SERVICE_NAME}:${tx.id}:`)).toBe(true);
  expect(await h.prepared()).toEqual([gid]);
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  expect(await h.balancesOf([201, 202])).toEqual([10, 500]);

  await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE_NAME, gid }] });
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
  expect(await h.balancesOf([201, 202])).toEqual([10, 460]);
  expect(await h.withdrawalsOf(tx.id)).toEqual([{ account_id: payer, amount: '40.00' }]);
  expect(await h.prepared()).toEqual([]);
});

it('when the initiator rolls back with the charge enlisted, then the balance is unchanged', async () => {
  const [payer] = await h.addCustomer(21, [300], 211);
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await charge(21, { amount: 30 }, enlisted(tx.id));
  expect(res.status).toBe(201);
  const gid = res.headers.get(BRANCH_HEADER)!;
  await h.coordinator.rollback(tx.id, 'the order failed later', [{ service: SERVICE_NAME, gid }]);
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'rolled-back');
  expect(await h.balanceOf(payer!)).toBe(300);
  expect(await h.withdrawalsOf(tx.id)).toEqual([]);
  expect(await h.prepared()).toEqual([]);
});

it('when no account covers the amount, then it is insufficient-funds naming no balance, and the coordinator hears nothing', async () => {
  await h.addCustomer(22, [10, 20], 221);
  const before = await everything();
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await charge(22, { amount: 25 }, enlisted(tx.id));
  expect(res).toMatchObject({
    status: 409,
    body: { error: 'insufficient-funds', details: { customerId: 22, requested: 25 } },
  });
  expect(res.body.message).not.toMatch(/\b(10|20)(\.00)?\b/);
  expect(res.headers.get(BRANCH_HEADER)).toBeNull();
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  expect(await everything()).toEqual(before);
  await h.coordinator.rollback(tx.id, 'test');
});

it('when no account covers the amount in a branch the participant registers, then the branch votes no', async () => {
  await h.addCustomer(23, [10], 231);
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await charge(23, { amount: 11 }, { [TRANSACTION_HEADER]: tx.id });
  expect(res).toMatchObject({ status: 409, body: { error: 'insufficient-funds' } });
  expect((await h.coordinator.get(tx.id)).branches.map((b) => b.status)).toEqual(['failed']);
  await h.coordinator.rollback(tx.id);
  expect(await h.prepared()).toEqual([]);
});

it('when the customer has no account, or does not exist, then it is unknown-customer and nothing changes', async () => {
  await h.sql('INSERT INTO customers (id, name) VALUES (24, $1)', ['no account']);
  const before = await everything();
  for (const customerId of [24, 999]) {
    expect(await charge(customerId, { amount: 1 })).toMatchObject({
      status: 404,
      body: { error: 'unknown-customer', message: `customer ${customerId} has no account` },
    });
  }
  expect(await everything()).toEqual(before);
});

it('when ten charges of one customer race, then each account pays while it covers, none goes below zero, and the rest are insufficient-funds', async () => {
  const ids = await h.addCustomer(40, [50, 50, 50], 401);
  // Another transaction holds the first account, so the charges surely meet on its row lock.
  const blocker = new Client({ connectionString: h.dbUrl });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM accounts WHERE id = 401 FOR UPDATE');
  const racing = Promise.all(Array.from({ length: 10 }, () => charge(40, { amount: 20 })));
  await waitFor(async () => (await h.sessionsWhere("wait_event_type = 'Lock'")) >= 5, {
    description: 'charges queued on the first account',
  });
  await blocker.query('COMMIT');
  await blocker.end();
  const answers = await racing;
  const byAnswer = answers.reduce<Record<string, number>>((acc, a) => {
    const key = a.status === 201 ? `201 account ${a.body.accountId}` : `${a.status} ${a.body.error}`;
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});
  // A charge that waited on a row another one debited moves on to the next account.
  expect(byAnswer).toEqual({
    '201 account 401': 2,
    '201 account 402': 2,
    '201 account 403': 2,
    '409 insufficient-funds': 4,
  });
  expect(await h.balancesOf(ids)).toEqual([10, 10, 10]);
  expect(await withdrawalsFrom(ids)).toHaveLength(6);
});

it('when a prepared charge holds the first account, then the next charge waits for its decision and, that account no longer covering, pays from the next', async () => {
  const [first, second] = await h.addCustomer(50, [100, 100], 501);
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const held = await charge(50, { amount: 80 }, enlisted(tx.id));
  expect(held.body).toMatchObject({ accountId: first });
  const next = charge(50, { amount: 80 });
  await waitFor(async () => (await h.sessionsWhere("wait_event_type = 'Lock'")) === 1, {
    description: 'the second charge waiting for the prepared branch',
  });
  const gid = held.headers.get(BRANCH_HEADER)!;
  await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE_NAME, gid }] });
  expect(await next).toMatchObject({ status: 201, body: { accountId: second, balance: 20 } });
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
  expect(await h.balancesOf([first!, second!])).toEqual([20, 20]);
});

it('when the customer id or the amount is malformed, then 400 and nothing changes', async () => {
  const before = await everything();
  for (const customerId of ['0', '-1', '1.5', 'abc', '2147483648', '9007199254740993', '1e400']) {
    expect({ customerId, ...(await charge(customerId, { amount: 1 })) }).toMatchObject({
      status: 400,
      body: { error: 'invalid-request' },
    });
  }
  const bodies = [0, -5, 1.234, '10', null, 1e15, 100_000_000_000_000].map((amount) => ({ amount }));
  for (const body of [...bodies, { amount: 1, accountId: 1 }, {}, undefined]) {
    const res = await charge(1, body);
    expect({ sent: body, ...res }).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
  }
  expect(await everything()).toEqual(before);
});
