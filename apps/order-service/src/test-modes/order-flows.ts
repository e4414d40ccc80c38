import type { Request } from 'express';
import { InvalidRequestError } from '@trx/service-kit';
import { placeOrder, type PlaceOrderDeps } from '../domain/place-order';
import type { OrderFlow } from '../entry-points/order-routes';
import { FAULT_POINTS, withFault, type FaultPoint } from './fault-injection';
import { placeOrderBaseline, type PlaceOrderBaselineDeps } from './place-order-baseline';

export interface OrderFlowsOptions {
  deps: PlaceOrderDeps;
  baselineDeps: PlaceOrderBaselineDeps;
  /** ORDER_FAULT_INJECTION: honour `X-Fault-Inject`. */
  faultInjection: boolean;
  /** ORDER_BASELINE_MODE: honour `X-Trx-Mode: baseline`. */
  baselineMode: boolean;
  /** ORDER_TRANSACTION_TIMEOUT_MS: the deadline the late-commit fault waits past. */
  transactionTimeoutMs: number;
  /** A baseline order committed its order.confirmed outbox row (the relay flushes soon). */
  onOutboxRow: () => void;
}

/**
 * Which flow places a POST /orders: the distributed transaction, unless a test-only mode is
 * on and the request asks for it — the benchmark's uncoordinated baseline, or a fault at a
 * named step (the chaos run's). The modes live here, at the composition root: the domain and
 * the routes know nothing of them. Every flow is built once; choosing allocates nothing.
 */
export function orderFlows(o: OrderFlowsOptions): (req: Request) => OrderFlow {
  const standard: OrderFlow = { place: (input) => placeOrder(o.deps, input), variant: null };
  if (!o.faultInjection && !o.baselineMode) return () => standard;
  const baseline: OrderFlow = {
    place: (input) => placeOrderBaseline(o.baselineDeps, input),
    variant: null,
    onConfirmed: o.onOutboxRow,
  };
  const faulty = new Map<string, OrderFlow>(
    FAULT_POINTS.map((point) => {
      const deps = withFault(o.deps, point, o.transactionTimeoutMs);
      return [point, { place: (input) => placeOrder(deps, input), variant: point }];
    }),
  );
  return (req) => {
    const fault = o.faultInjection ? faultOf(req) : undefined;
    if (o.baselineMode && req.header('x-trx-mode') === 'baseline') {
      // The baseline injects no fault, but a fault asked for still makes it another request.
      return fault ? { ...baseline, variant: fault } : baseline;
    }
    return fault ? faulty.get(fault)! : standard;
  };
}

/** `X-Fault-Inject`, checked against FAULT_POINTS (400 for any other value). */
function faultOf(req: Request): FaultPoint | undefined {
  const fault = req.header('x-fault-inject');
  if (fault === undefined || fault === '') return undefined;
  if (!(FAULT_POINTS as readonly string[]).includes(fault)) {
    throw new InvalidRequestError(`unknown X-Fault-Inject value "${fault.slice(0, 40)}"`, {
      allowed: FAULT_POINTS,
    });
  }
  return fault as FaultPoint;
}
