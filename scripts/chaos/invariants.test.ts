import type { TransactionRecord } from './coordinator-state';
import { checkInvariants, type Evidence } from './invariants';
import type { Attempt } from './load';

const tx = (id: string, status: string, branchStatus: string): TransactionRecord => ({
  id,
  status,
  decision: status === 'committed' || status === 'committing' ? 'commit' : 'rollback',
  reason: null,
  initiator: 'order-service',
  timeoutMs: 8000,
  decidedAfterMs: 100,
  branches: ['order-service', 'account-service', 'product-service'].map((service) => ({
    id: `${id}-${service}`,
    service,
    gid: `trx:${service}:${id}:k`,
    status: branchStatus,
  })),
});

const created = (id: string): Attempt => ({
  worker: 0,
  request: { kind: 'normal', body: { customerId: 2, productId: 1, quantity: 1 } },
  target: 'http://127.0.0.1:1',
  startedAt: 0,
  endedAt: 10,
  status: 201,
  body: { id, status: 'CONFIRMED' },
  retry: false,
});

/** One confirmed order of 1 unit at 20.00 (tx a) and one rolled-back attempt (tx b): everything adds up. */
function consistent(): Evidence {
  return {
    start: { balanceCents: 100_000, stock: new Map([[1, 10]]) },
    end: { balanceCents: 98_000, stock: new Map([[1, 9]]) },
    orders: [
      {
        id: 'o1',
        status: 'CONFIRMED',
        customerId: 2,
        productId: 1,
        quantity: 1,
        totalCents: 2000,
        transactionId: 'a',
        idempotencyKey: null,
      },
      {
        id: 'o2',
        status: 'REJECTED',
        customerId: 2,
        productId: 1,
        quantity: 1,
        totalCents: 0,
        transactionId: 'b',
        idempotencyKey: null,
      },
    ],
    transactions: [tx('a', 'committed', 'committed'), tx('b', 'rolled-back', 'rolled-back')],
    prepared: [],
    attempts: [created('o1')],
    effects: {
      withdrawals: [{ transactionId: 'a', cents: 2000 }],
      reservations: [{ transactionId: 'a', productId: 1, quantity: 1 }],
    },
    committedGids: new Map(
      ['order-service', 'account-service', 'product-service'].map((s) => [s, new Set([`trx:${s}:a:k`])]),
    ),
    orderEvents: [
      { orderId: 'o1', transactionId: 'a', published: true, source: 'coordinator' },
      // A rolled-back transaction may keep the events its initiator handed over, unpublished.
      { orderId: 'o2', transactionId: 'b', published: false, source: 'coordinator' },
    ],
  };
}

const failing = (e: Evidence) =>
  checkInvariants(e)
    .filter((r) => !r.ok)
    .map((r) => r.name);

describe('the chaos invariants', () => {
  it('all hold when every effect matches its decision', () => {
    expect(failing(consistent())).toEqual([]);
  });

  it('when a committed transaction lost a branch, then money, the per-transaction check and Postgres agreement fail', () => {
    const e = consistent();
    e.transactions[0] = { ...tx('a', 'committed', 'committed') };
    e.transactions[0].branches[1]!.status = 'rolled-back';
    e.committedGids.set('account-service', new Set());
    e.effects.withdrawals = [];
    e.end.balanceCents = 100_000;
    expect(failing(e)).toEqual(
      expect.arrayContaining([
        'money: balances + confirmed totals = starting sum',
        'branches agree with their transaction',
        "participants' databases agree: a branch is committed in Postgres iff its transaction committed",
      ]),
    );
  });

  it('when a 201 names an order that is not CONFIRMED, a 409 one that is, or a refusal was confirmed, then they fail', () => {
    const e = consistent();
    e.attempts.push(created('o2'));
    e.attempts.push({
      ...created('x'),
      status: 409,
      body: { id: 'o1', status: 'REJECTED', error: 'insufficient-funds' },
    });
    e.attempts.push({
      ...created('o1'),
      request: { kind: 'unknown-product', body: { customerId: 2, productId: 999999, quantity: 1 } },
    });
    expect(failing(e)).toEqual(
      expect.arrayContaining([
        'every 201 names a CONFIRMED order',
        'orders that must fail were never confirmed',
      ]),
    );
  });

  it('when a branch stays prepared or a decision is unacknowledged, then they fail', () => {
    const e = consistent();
    e.prepared = [{ database: 'trx_chaos_account', gid: 'trx:account-service:b:k', prepared: 'now' }];
    e.transactions[1] = tx('b', 'rolling-back', 'prepared');
    expect(failing(e)).toEqual(
      expect.arrayContaining([
        'no prepared transaction left',
        'no decision unacknowledged',
        'every transaction committed or rolled back',
      ]),
    );
  });

  it('when an order.confirmed is missing for a CONFIRMED order or published for a REJECTED one, then it fails', () => {
    const name = 'every CONFIRMED order, and only those, had its order.confirmed published';
    const unpublished = consistent();
    unpublished.orderEvents[0] = { ...unpublished.orderEvents[0]!, published: false };
    expect(failing(unpublished)).toEqual([name]);
    const leaked = consistent();
    leaked.orderEvents.push({ orderId: 'o2', transactionId: null, published: true, source: 'order-outbox' });
    expect(failing(leaked)).toEqual([name]);
  });

  describe('no late commit after a tombstone', () => {
    const name =
      'no late commit after a tombstone: a presumed-abort transaction stays rolled back, nothing of it committed or confirmed';
    /** A late-commit order (o3, tx c) whose transaction resolve tombstoned; its commit was refused. */
    function withTombstone(): Evidence {
      const e = consistent();
      e.transactions.push({
        ...tx('c', 'rolled-back', 'rolled-back'),
        reason: 'presumed-abort',
        initiator: null,
        branches: [],
      });
      e.orders.push({ ...e.orders[1]!, id: 'o3', transactionId: 'c' });
      e.attempts.push({
        ...created('o3'),
        request: {
          kind: 'fault',
          fault: 'late-commit',
          body: { customerId: 2, productId: 1, quantity: 1 },
        },
        endedAt: 23_500,
        status: 409,
        body: { id: 'o3', status: 'REJECTED', error: 'transaction-rolled-back' },
      });
      return e;
    }

    it('holds when the tombstone stays rolled back and its late commit was refused', () => {
      const e = withTombstone();
      expect(failing(e)).toEqual([]);
      const check = checkInvariants(e).find((r) => r.name === name)!;
      expect(check.figures).toMatch(/^1 tombstones .* 1 late commits sent, 1 refused as rolled back/);
    });

    it('fails when a participant committed a branch of the tombstone and its order was confirmed', () => {
      const e = withTombstone();
      e.committedGids.get('account-service')!.add('trx:account-service:c:k');
      e.orders[2] = { ...e.orders[2]!, status: 'CONFIRMED' };
      const check = checkInvariants(e).find((r) => r.name === name)!;
      expect(check.ok).toBe(false);
      expect(check.examples).toEqual([
        'account-service committed trx:account-service:c:k of tombstone c',
        'order o3 CONFIRMED, its transaction c tombstoned',
        'late-commit order o3 CONFIRMED',
      ]);
    });

    it('fails when a tombstone was later committed', () => {
      const e = withTombstone();
      e.transactions[2] = { ...e.transactions[2]!, status: 'committed', decision: 'commit' };
      expect(failing(e)).toContain(name);
    });
  });
});
