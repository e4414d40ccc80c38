import { failureOf, HttpJson, networkFailure, type HttpAnswer } from './http-json';
import type { Operation } from './load-driver';
import type { SeedPlan } from './seed';

/** The header that asks an order-service started with ORDER_BASELINE_MODE=true for the baseline flow. */
export const BASELINE_HEADER = 'x-trx-mode';

export interface OrderClientOptions {
  /** order-service base URL. */
  url: string;
  /** Sockets kept open: one per closed-loop client. */
  concurrency: number;
  baseline: boolean;
  seed: SeedPlan;
  quantity: number;
}

/** `POST /orders` for a random seeded product and customer. */
export class OrderClient {
  private readonly http: HttpJson;

  constructor(private readonly o: OrderClientOptions) {
    this.http = new HttpJson(o.url, o.concurrency);
  }

  operation(): Operation {
    return async () => {
      try {
        const answer = await this.placeOrder();
        return answer.status === 201 ? undefined : failureOf(answer);
      } catch (err) {
        return networkFailure(err);
      }
    };
  }

  placeOrder(): Promise<HttpAnswer> {
    const { seed } = this.o;
    const pick = () => Math.floor(Math.random() * seed.rows);
    const body = {
      customerId: seed.firstCustomerId + pick(),
      productId: seed.firstProductId + pick(),
      quantity: this.o.quantity,
    };
    return this.http.request(
      'POST',
      '/orders',
      body,
      this.o.baseline ? { [BASELINE_HEADER]: 'baseline' } : {},
    );
  }

  close(): void {
    this.http.close();
  }
}
