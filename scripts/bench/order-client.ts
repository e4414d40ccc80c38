import http from 'node:http';
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
  timeoutMs?: number;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/**
 * `POST /orders` over keep-alive sockets (node:http, no client library in the measured
 * path). Every order picks a random seeded product and customer.
 */
export class OrderClient {
  private readonly agent: http.Agent;
  private readonly target: URL;

  constructor(private readonly o: OrderClientOptions) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
    this.target = new URL('/orders', o.url);
  }

  operation(): Operation {
    return async () => {
      const answer = await this.placeOrder();
      if (answer.status === 201) return undefined;
      const code = (answer.body as { error?: unknown } | null)?.error;
      return `http-${answer.status}${typeof code === 'string' ? `:${code}` : ''}`;
    };
  }

  placeOrder(): Promise<HttpAnswer> {
    const { seed } = this.o;
    const pick = () => Math.floor(Math.random() * seed.rows);
    const body = JSON.stringify({
      customerId: seed.firstCustomerId + pick(),
      productId: seed.firstProductId + pick(),
      quantity: this.o.quantity,
    });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    if (this.o.baseline) headers[BASELINE_HEADER] = 'baseline';
    return this.send(body, headers);
  }

  close(): void {
    this.agent.destroy();
  }

  private send(body: string, headers: Record<string, string | number>): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.target,
        { method: 'POST', agent: this.agent, headers, timeout: this.o.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseJson(chunks) }));
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })),
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(Object.assign(new Error(`network:${err.code ?? err.message}`), { name: 'NetworkError' })),
      );
      req.end(body);
    });
  }
}

function parseJson(chunks: Buffer[]): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
