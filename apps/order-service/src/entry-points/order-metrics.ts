import { Counter, Histogram, type Registry } from 'prom-client';

/** The order-service's metrics, on the app's registry (service-kit's createRegistry: one per app instance). */
export class OrderMetrics {
  private readonly orders: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;
  private readonly replays: Counter;
  private readonly refusals: Counter<'reason'>;

  constructor(registry: Registry) {
    this.orders = new Counter({
      name: 'trx_orders_total',
      help: 'Orders placed, by outcome (confirmed or the error code)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'trx_order_duration_seconds',
      help: 'Time to answer POST /orders, by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.replays = new Counter({
      name: 'trx_order_idempotent_replays_total',
      help: 'POST /orders answered from a stored Idempotency-Key answer',
      registers: [registry],
    });
    this.refusals = new Counter({
      name: 'trx_order_too_busy_total',
      help: 'Orders refused with 503 too-busy by the per-key limiter, by reason (queue-full, wait-timeout)',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  tooBusy(reason: string): void {
    this.refusals.inc({ reason });
  }

  /** Starts the clock of one order; call the result with its outcome. */
  startOrder(): (outcome: string) => void {
    const end = this.latency.startTimer();
    return (outcome) => {
      end({ outcome });
      this.orders.inc({ outcome });
    };
  }

  replayed(): void {
    this.replays.inc();
  }
}
