import { silentLogger } from '@trx/logging';
import type { TransactionView } from '@trx/protocol';
import { placeOrder, type PlaceOrderDeps } from '../src/domain/place-order';
import { OrderRefusedError, ParticipantUnavailableError } from '../src/domain/order-errors';
import type { OrderRecord } from '../src/domain/order-types';

/** In-memory stand-ins for the use case's ports: the rules alone, no I/O (the .int tests cover the real thing). */
function fakes(overrides: Partial<PlaceOrderDeps> = {}) {
  const calls: string[] = [];
  const stored: OrderRecord[] = [];
  const deps: PlaceOrderDeps = {
    products: {
      reserve: async (_tx, productId, quantity) => {
        calls.push(`reserve ${productId}x${quantity}`);
        return { unitPrice: 19.99, total: 19.99 * quantity };
      },
    },
    accounts: {
      accountsOf: async () => [
        { id: 7, balance: 1 },
        { id: 8, balance: 100 },
      ],
      withdraw: async (_tx, accountId, amount) => {
        calls.push(`withdraw ${accountId} ${amount}`);
        return accountId === 8;
      },
    },
    transactions: {
      begin: async () => ({ id: 'tx-1' }) as TransactionView,
      commit: async () => {
        calls.push('commit');
        return { id: 'tx-1' } as TransactionView;
      },
      rollback: async (_tx, reason) => void calls.push(`rollback ${reason}`),
    },
    orders: {
      recordInBranch: async (_tx, order) => void calls.push(`branch ${order.status} ${order.total}`),
      finishOwnBranch: async (_tx, decision) => void calls.push(`finish own branch ${decision}`),
      recordRejected: async (order) => void stored.push(order),
      recordLocal: async (order) => void calls.push(`local ${order.status} ${order.total}`),
    },
    logger: silentLogger(),
    transactionTimeoutMs: 1000,
    ...overrides,
  };
  return { deps, calls, stored };
}

const input = { customerId: 1, productId: 2, quantity: 3 };

test('totals are computed in cents and the first account whose balance covers the total pays', async () => {
  const { deps, calls } = fakes();
  const result = await placeOrder(deps, input);
  expect(result.outcome).toBe('confirmed');
  expect(result.order).toMatchObject({
    status: 'CONFIRMED',
    unitPrice: 19.99,
    total: 59.97,
    transactionId: 'tx-1',
  });
  expect(calls).toEqual([
    'reserve 2x3',
    'withdraw 8 59.97',
    'branch CONFIRMED 59.97',
    'commit',
    'finish own branch commit',
  ]);
});

test('a refusal rolls back with the reason and keeps the order REJECTED', async () => {
  const { deps, calls, stored } = fakes({
    accounts: { accountsOf: async () => [], withdraw: async () => true },
  });
  const result = await placeOrder(deps, input);
  expect(result).toMatchObject({
    outcome: 'failed',
    order: { status: 'REJECTED', reason: 'unknown-customer' },
  });
  expect(calls).toEqual(['reserve 2x3', 'rollback unknown-customer', 'finish own branch rollback']);
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
  expect(calls).toEqual(['rollback participant-unavailable', 'finish own branch rollback']);
});

test.each(['after-reservation', 'after-withdrawal', 'before-commit'] as const)(
  'a fault %s rolls back as injected-fault and never commits',
  async (fault) => {
    const { deps, calls } = fakes();
    const result = await placeOrder(deps, { ...input, fault });
    expect(result).toMatchObject({ outcome: 'failed', order: { reason: 'injected-fault' } });
    expect(calls).not.toContain('commit');
    expect(calls.slice(-2)).toEqual(['rollback injected-fault', 'finish own branch rollback']);
  },
);

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
