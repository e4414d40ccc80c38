import { silentLogger } from '@trx/logging';
import { uuidv7Time, type TransactionView } from '@trx/protocol';
import { placeOrder, type PlaceOrderDeps } from '../src/domain/place-order';
import { OrderRefusedError, ParticipantUnavailableError } from '../src/domain/order-errors';
import type { OrderRecord } from '../src/domain/order-types';
import { withFault } from '../src/test-modes/fault-injection';

/** In-memory stand-ins for the use case's ports: the rules alone, no I/O (the .int tests cover the real thing). */
function fakes(overrides: Partial<PlaceOrderDeps> = {}) {
  const calls: string[] = [];
  const stored: OrderRecord[] = [];
  const deps: PlaceOrderDeps = {
    products: {
      reserve: async (_tx, productId, quantity) => {
        calls.push(`reserve ${productId}x${quantity}`);
        return {
          unitPrice: 19.99,
          total: 19.99 * quantity,
          branch: { service: 'product-service', gid: 'g-p' },
        };
      },
    },
    accounts: {
      charge: async (_tx, customerId, amount) => {
        calls.push(`charge customer ${customerId} ${amount}`);
        return { accountId: 8, branch: { service: 'account-service', gid: 'g-a' } };
      },
    },
    transactions: {
      commit: async (tx, branches, events) => {
        calls.push(
          `commit ${branches.map((b) => b.gid).join(',')} ${events.map((e) => e.routingKey).join(',')}`,
        );
        return { id: tx } as TransactionView;
      },
      rollback: async (_tx, reason, branches) =>
        void calls.push(`rollback ${reason} ${branches.map((b) => b.gid).join(',')}`),
    },
    orders: {
      recordInBranch: async (_tx, order) => {
        calls.push(`branch ${order.status} ${order.total}`);
        return { service: 'order-service', gid: 'g-o', finishedByCaller: true };
      },
      finishOwnBranch: async (_tx, gid, decision) => void calls.push(`finish own branch ${gid} ${decision}`),
      recordRejected: async (order) => void stored.push(order),
    },
    logger: silentLogger(),
    ...overrides,
  };
  return { deps, calls, stored };
}

const input = { customerId: 1, productId: 2, quantity: 3 };

test('totals are computed in cents and the customer is charged the total in one call', async () => {
  const { deps, calls } = fakes();
  const result = await placeOrder(deps, input);
  expect(result.outcome).toBe('confirmed');
  expect(result.order).toMatchObject({ status: 'CONFIRMED', unitPrice: 19.99, total: 59.97 });
  // The initiator mints the transaction id itself (a UUIDv7): no begin round trip.
  expect(uuidv7Time(result.order.transactionId!)).toBeDefined();
  expect(calls).toEqual([
    'reserve 2x3',
    'charge customer 1 59.97',
    'branch CONFIRMED 59.97',
    'commit g-p,g-a,g-o order.confirmed',
    'finish own branch g-o commit',
  ]);
});

test('a refusal rolls back with the reason and keeps the order REJECTED', async () => {
  const { deps, calls, stored } = fakes({
    accounts: {
      charge: async () => {
        throw new OrderRefusedError('unknown-customer', 'customer 1 has no account');
      },
    },
  });
  const result = await placeOrder(deps, input);
  expect(result).toMatchObject({
    outcome: 'failed',
    order: { status: 'REJECTED', reason: 'unknown-customer' },
  });
  // The reservation was prepared: it is enlisted with the rollback; no own branch existed yet.
  expect(calls).toEqual(['reserve 2x3', 'rollback unknown-customer g-p']);
  expect(stored).toHaveLength(1);
});

test('a participant outage is rolled back as participant-unavailable', async () => {
  const { deps, calls } = fakes({
    products: {
      reserve: async () => {
        throw new ParticipantUnavailableError('product-service', 'down');
      },
    },
  });
  const result = await placeOrder(deps, input);
  expect(result).toMatchObject({ outcome: 'failed', order: { reason: 'participant-unavailable' } });
  expect(calls).toEqual(['rollback participant-unavailable ']);
});

test.each(['after-reservation', 'after-withdrawal', 'before-commit'] as const)(
  'a fault %s (the test mode wraps the ports) rolls back as injected-fault and never commits',
  async (fault) => {
    const { deps, calls } = fakes();
    const result = await placeOrder(withFault(deps, fault, 1000), input);
    expect(result).toMatchObject({ outcome: 'failed', order: { reason: 'injected-fault' } });
    expect(calls.some((c) => c.startsWith('commit'))).toBe(false);
    const rollback = calls.find((c) => c.startsWith('rollback'));
    expect(rollback).toBe(
      {
        'after-reservation': 'rollback injected-fault g-p',
        'after-withdrawal': 'rollback injected-fault g-p,g-a',
        'before-commit': 'rollback injected-fault g-p,g-a,g-o',
      }[fault],
    );
    // Only a prepared own branch is finished by the caller.
    expect(calls.includes('finish own branch g-o rollback')).toBe(fault === 'before-commit');
  },
);

test('a commit answered with a rollback finishes the own branch without asking again', async () => {
  const { deps, calls, stored } = fakes();
  deps.transactions.commit = async () => {
    throw Object.assign(new Error('no'), {
      name: 'TransactionRolledBackError',
      code: 'transaction-rolled-back',
    });
  };
  const result = await placeOrder(deps, input);
  expect(result).toMatchObject({ outcome: 'failed', order: { status: 'REJECTED' } });
  expect(calls.some((c) => c.startsWith('rollback'))).toBe(false);
  expect(calls.at(-1)).toBe('finish own branch g-o rollback');
  expect(stored).toHaveLength(1);
});

test('a commit that goes unanswered is not turned into a REJECTED order', async () => {
  const { deps, stored } = fakes();
  deps.transactions.commit = async () => {
    throw Object.assign(new Error('down'), { name: 'CoordinatorUnreachableError' });
  };
  await expect(placeOrder(deps, input)).rejects.toMatchObject({
    name: 'CoordinatorUnreachableError',
    outcomeUnknown: true,
  });
  expect(stored).toHaveLength(0);
});

test('refusal errors carry their code', () => {
  expect(new OrderRefusedError('insufficient-stock', 'x')).toMatchObject({
    code: 'insufficient-stock',
    retryable: false,
  });
});
