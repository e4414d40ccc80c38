import { BRANCH_HEADER, ENLIST_BY_INITIATOR, ENLIST_HEADER, TRANSACTION_HEADER } from '@trx/protocol';
import { callWithHeaders, waitFor, harnessPerFile } from '@trx/test-support';
import { SERVICE_NAME } from '../src/config';
import { ProductHarness } from './product-harness';

/** Reservations the initiator enlists with its commit (x-transaction-enlist: initiator). */
let h: ProductHarness;
let url: string;

harnessPerFile(ProductHarness.start, (started, app) => ((h = started), (url = app.url)));

const reservationsOf = (txId: string) =>
  h.sql('SELECT product_id, quantity FROM reservations WHERE transaction_id = $1', [txId]);
const enlisted = (txId: string) => ({ [TRANSACTION_HEADER]: txId, [ENLIST_HEADER]: ENLIST_BY_INITIATOR });
const reserve = (productId: number, quantity: number, headers: Record<string, string>) =>
  callWithHeaders(url, 'POST', `/products/${productId}/reservations`, { quantity }, headers);

it('when the initiator enlists the reservation, then it gets the gid, the coordinator has no branch until the commit, and the stock changes on the commit', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await reserve(2, 3, enlisted(tx.id));
  expect(res).toMatchObject({ status: 201, body: { productId: 2, quantity: 3, unitPrice: 25, total: 75 } });
  const gid = res.headers.get(BRANCH_HEADER)!;
  expect(gid.startsWith(`trx:${SERVICE_NAME}:${tx.id}:`)).toBe(true);
  expect(await h.prepared()).toEqual([gid]);
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  expect(await h.stockOf(2)).toBe(150);

  await h.coordinator.commit(tx.id, { branches: [{ service: SERVICE_NAME, gid }] });
  await waitFor(async () => (await h.coordinator.get(tx.id)).status === 'committed');
  expect((await h.coordinator.get(tx.id)).branches.map((b) => [b.gid, b.status])).toEqual([
    [gid, 'committed'],
  ]);
  expect(await h.stockOf(2)).toBe(147);
  expect(await reservationsOf(tx.id)).toEqual([{ product_id: 2, quantity: 3 }]);
  expect(await h.prepared()).toEqual([]);
});

it('when an enlisted reservation finds too little stock, then it is refused, nothing is prepared and the coordinator hears nothing', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const res = await reserve(4, 11, enlisted(tx.id));
  expect(res).toMatchObject({ status: 409, body: { error: 'insufficient-stock' } });
  expect(res.headers.get(BRANCH_HEADER)).toBeNull();
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  expect(await h.prepared()).toEqual([]);
  await h.coordinator.rollback(tx.id, 'test');
});

it('when the enlist header has an unknown value, then the request is refused with 400 and nothing changes', async () => {
  const tx = await h.coordinator.begin({ initiator: 'test' });
  const rowsBefore = await h.sql('SELECT * FROM reservations');
  for (const headers of <Record<string, string>[]>[
    { [TRANSACTION_HEADER]: tx.id, [ENLIST_HEADER]: 'participant' },
    { [ENLIST_HEADER]: ENLIST_BY_INITIATOR },
  ]) {
    const res = await reserve(3, 1, headers);
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
    expect(res.headers.get(BRANCH_HEADER)).toBeNull();
  }
  expect(await h.stockOf(3)).toBe(200);
  expect(await h.sql('SELECT * FROM reservations')).toEqual(rowsBefore);
  expect(await h.prepared()).toEqual([]);
  expect((await h.coordinator.get(tx.id)).branches).toEqual([]);
  await h.coordinator.rollback(tx.id, 'test');
});
