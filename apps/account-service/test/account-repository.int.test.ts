import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { queryPipelined } from '@trx/db';
import { countSocketWrites, recordingDataSource } from '@trx/test-support';
import {
  accountStore,
  debitFirstCovering,
  debitFirstCoveringStatement,
} from '../src/data-access/account-repository';
import { AccountHarness } from './account-harness';

/** What the account store sends to Postgres: a look-up and a withdrawal are on every order's path. */
let h: AccountHarness;
let counted: DataSource;
let sent: string[];
let client: Client;

beforeAll(async () => {
  h = await AccountHarness.start();
  await h.startApp(); // creates and migrates the database
  ({ dataSource: counted, sent } = await recordingDataSource(h.dbUrl));
  client = new Client({ connectionString: h.dbUrl });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await counted?.destroy();
  await h?.stop();
});

const txId = '00000000-0000-4000-8000-00000000000a';

it('when the balance covers a withdrawal, then debiting and recording it is one statement', async () => {
  sent.length = 0;
  const store = accountStore(counted.manager);
  expect(await store.debit({ accountId: 3, amountCents: 12_345, transactionId: txId })).toBe(487_655);
  expect(sent).toHaveLength(1);
  expect(await h.withdrawalsOf(txId)).toEqual([{ account_id: 3, amount: '123.45' }]);
});

it('when the balance does not cover it, then nothing is taken and no withdrawal is recorded', async () => {
  const other = '00000000-0000-4000-8000-00000000000b';
  sent.length = 0;
  const store = accountStore(counted.manager);
  expect(await store.debit({ accountId: 1, amountCents: 100_001, transactionId: other })).toBe(undefined);
  expect(sent).toHaveLength(1);
  expect(await h.withdrawalsOf(other)).toEqual([]);
  expect(await store.find(1)).toEqual({ id: 1, customerId: 1, balanceCents: 100_000 });
});

/** A trip as a local commit: the statements pipelined in the implicit transaction of one Sync. */
const debitFor = (transactionId: string) =>
  debitFirstCovering((build) => queryPipelined(client, build(transactionId)));

it('when an account of the customer covers a charge, then choosing, debiting and recording it is one statement in one write', async () => {
  const charged = '00000000-0000-4000-8000-00000000000c';
  const [, payer] = await h.addCustomer(60, [5, 50], 601);
  const writes = countSocketWrites(client);
  expect(await debitFor(charged)({ customerId: 60, amountCents: 1_000 })).toEqual({
    accountId: payer,
    balanceCents: 4_000,
  });
  writes.stop();
  expect(writes.count).toBe(1);
  expect(await h.withdrawalsOf(charged)).toEqual([{ account_id: payer, amount: '10.00' }]);
});

it('when no account covers a charge, then the statement stops its transaction, and telling an unknown customer apart is one more statement', async () => {
  const refused = '00000000-0000-4000-8000-00000000000d';
  expect(await debitFor(refused)({ customerId: 1, amountCents: 100_001 })).toBe(undefined);
  // What came after the statement in the pipeline never ran.
  await expect(
    queryPipelined(client, [
      debitFirstCoveringStatement({ customerId: 1, amountCents: 100_001, transactionId: refused }),
      { text: 'UPDATE accounts SET balance = 0 WHERE id = 1' },
    ]),
  ).rejects.toMatchObject({ code: 'TRX02' });
  expect(await debitFor(refused)({ customerId: 99, amountCents: 1 })).toBe(undefined);
  sent.length = 0;
  const store = accountStore(counted.manager);
  expect(await store.hasAccount(1)).toBe(true);
  expect(sent).toHaveLength(1);
  expect(await store.hasAccount(99)).toBe(false);
  expect(await h.withdrawalsOf(refused)).toEqual([]);
  expect(await store.find(1)).toEqual({ id: 1, customerId: 1, balanceCents: 100_000 });
});

it("when a customer's accounts are looked up, then it is one statement", async () => {
  sent.length = 0;
  expect(await accountStore(counted.manager).listByCustomer(2, 10)).toEqual([
    { id: 2, customerId: 2, balanceCents: 200_000 },
  ]);
  expect(sent).toHaveLength(1);
});
