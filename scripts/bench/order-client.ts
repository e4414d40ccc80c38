import { randomUUID } from 'node:crypto';
import { failureOf, HttpJson, networkFailure, type HttpAnswer } from './http-json';
import type { Operation } from './load-driver';
import type { SeedPlan } from './seed';
import { customerToken, readSecrets } from '../local/credentials';

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
  /** Each seeded customer's bearer token (the order-service authenticates customers). */
  tokens: CustomerTokens;
  /** Send a fresh Idempotency-Key with every order (the soak: the keys' retention is measured too). */
  idempotencyKeys?: boolean;
}

/** customerId → `Bearer <jwt>`, made once before the run so signing is not in the measured path. */
export type CustomerTokens = ReadonlyMap<number, string>;

/** Tokens for every customer of the seed, signed with the local customer key (scripts/local/credentials.ts). */
export async function customerTokens(seed: SeedPlan): Promise<CustomerTokens> {
  const secrets = readSecrets();
  const ids = Array.from({ length: seed.rows }, (_, i) => seed.firstCustomerId + i);
  const tokens = await Promise.all(ids.map((id) => customerToken(secrets, id)));
  return new Map(ids.map((id, i) => [id, `Bearer ${tokens[i]!}`]));
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
    const headers: Record<string, string> = { authorization: this.o.tokens.get(body.customerId)! };
    if (this.o.baseline) headers[BASELINE_HEADER] = 'baseline';
    if (this.o.idempotencyKeys) headers['idempotency-key'] = randomUUID();
    return this.http.request('POST', '/orders', body, headers);
  }

  close(): void {
    this.http.close();
  }
}
