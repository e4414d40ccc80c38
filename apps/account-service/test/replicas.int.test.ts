import { TRANSACTION_HEADER } from '@trx/protocol';
import { waitFor } from '@trx/test-support';
import { AccountHarness, call } from './account-harness';

/** Two replicas of the account-service share one database and one decision queue. */
let h: AccountHarness;

const ACCOUNTS = Array.from({ length: 12 }, (_, i) => 100 + i);

beforeAll(async () => {
  h = await AccountHarness.start();
  const migrator = await h.startApp(); // creates the schema
  await migrator.stop();
  await h.addAccounts(ACCOUNTS);
});

afterAll(async () => {
  if (!h) return;
  const left = await h.prepared();
  await h.stop();
  expect(left).toEqual([]);
});

const total = async () =>
  Number((await h.sql<{ sum: string }>('SELECT sum(balance) FROM accounts WHERE id >= 100'))[0]!.sum);

/** A withdrawal as a branch of a new transaction, left prepared (each on its own account: no lock waits). */
async function withdrawIn(url: string, accountId: number, amount: number): Promise<string> {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await call(
    url,
    'POST',
    `/accounts/${accountId}/withdrawals`,
    { amount },
    { [TRANSACTION_HEADER]: tx.id },
  );
  expect(res.status).toBe(201);
  return tx.id;
}

it('when two replicas run branches, then every decision is finished whichever replica gets it', async () => {
  const a = await h.startApp();
  const b = await h.startApp();
  const before = await total();
  const txIds: string[] = [];
  for (let i = 0; i < 10; i++) txIds.push(await withdrawIn(i % 2 === 0 ? a.url : b.url, ACCOUNTS[i]!, 1));
  // Half commit, half roll back; the queue hands each decision to either replica.
  await Promise.all(txIds.map((id, i) => (i < 5 ? h.coordinator.commit(id) : h.coordinator.rollback(id))));
  await waitFor(
    async () => {
      const views = await Promise.all(txIds.map((id) => h.coordinator.get(id)));
      return views.every((v) => v.status === 'committed' || v.status === 'rolled-back');
    },
    { description: 'every transaction finished' },
  );
  expect(await total()).toBe(before - 5);
  expect(await h.prepared()).toEqual([]);
  await a.stop();
  await b.stop();
});

it('when the replica that prepared a branch is gone, then the other one finishes it', async () => {
  const a = await h.startApp();
  const b = await h.startApp();
  const before = await total();
  const committed = await withdrawIn(a.url, ACCOUNTS[10]!, 7);
  const rolledBack = await withdrawIn(a.url, ACCOUNTS[11]!, 11);
  await a.stop();
  await h.coordinator.commit(committed);
  await h.coordinator.rollback(rolledBack);
  await waitFor(async () => (await h.coordinator.get(committed)).status === 'committed');
  await waitFor(async () => (await h.coordinator.get(rolledBack)).status === 'rolled-back');
  expect(await total()).toBe(before - 7);
  expect(await h.prepared()).toEqual([]);
  await b.stop();
});
