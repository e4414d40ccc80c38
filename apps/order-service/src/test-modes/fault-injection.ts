import { InjectedFaultError } from '../domain/order-errors';
import type { PlaceOrderDeps } from '../domain/place-order';

/**
 * Where an order fails on `X-Fault-Inject` (ORDER_FAULT_INJECTION=true; the chaos run uses it).
 * `late-commit`: every branch prepared, the commit asked only after the transaction's deadline
 * and a recovery round have passed, so the participants' recovery has tombstoned it first:
 * the commit must find it rolled back (chaos checks "no late commit after a tombstone").
 */
export const FAULT_POINTS = [
  'after-reservation',
  'after-withdrawal',
  'before-commit',
  'late-commit',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** How long past its deadline the late-commit fault waits: a participant's recovery round (2 s in chaos, 10 s by default) and its minimum age. */
const LATE_COMMIT_MARGIN_MS = 15_000;

/**
 * placeOrder's ports with the fault at `point`: the step after it fails before doing anything,
 * so every branch prepared up to the point is enlisted and rolls back by name. The use case
 * itself knows nothing of faults. `transactionTimeoutMs` is the deadline late-commit waits past.
 */
export function withFault(
  deps: PlaceOrderDeps,
  point: FaultPoint,
  transactionTimeoutMs: number,
): PlaceOrderDeps {
  const { orders, transactions } = deps;
  const fail = () => Promise.reject(new InjectedFaultError(point));
  switch (point) {
    case 'after-reservation':
      return { ...deps, accounts: { charge: fail } };
    case 'after-withdrawal':
      return {
        ...deps,
        orders: {
          recordInBranch: fail,
          finishOwnBranch: (...a) => orders.finishOwnBranch(...a),
          recordRejected: (...a) => orders.recordRejected(...a),
        },
      };
    case 'before-commit':
      return { ...deps, transactions: { commit: fail, rollback: (...a) => transactions.rollback(...a) } };
    case 'late-commit':
      return {
        ...deps,
        transactions: {
          commit: async (...a) => {
            await sleep(transactionTimeoutMs + LATE_COMMIT_MARGIN_MS);
            return transactions.commit(...a);
          },
          rollback: (...a) => transactions.rollback(...a),
        },
      };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
