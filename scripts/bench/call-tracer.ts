import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LatencyRecorder } from './stats';

/**
 * Every HTTP call between the services, timed: with `--trace-calls` the services are
 * started with SERVICE_URLS pointing at one small proxy per service in the bench process,
 * which forwards each call and records its route (ids replaced by `:id`), status and time.
 * The proxy adds a hop, so a traced run is for finding where the time goes, not for the
 * headline numbers.
 */
export interface CallRow {
  /** `transaction-server POST /v1/transactions/:id/commit 200`: callee, method, route, status. */
  call: string;
  count: number;
  perOrder: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export class CallTracer {
  private servers: http.Server[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private calls = new Map<string, LatencyRecorder>();
  /** name → proxy URL, for SERVICE_URLS. */
  readonly proxies: Record<string, string> = {};

  async start(targets: Record<string, string>): Promise<void> {
    for (const [name, target] of Object.entries(targets)) {
      const server = http.createServer((req, res) => this.forward(name, new URL(target), req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.servers.push(server);
      this.proxies[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
  }

  serviceUrls(): string {
    return Object.entries(this.proxies)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
  }

  reset(): void {
    this.calls = new Map();
  }

  rows(orders: number): CallRow[] {
    return [...this.calls.entries()]
      .map(([call, rec]) => {
        const s = rec.summary(1000);
        const count = s.committed;
        return {
          call,
          count,
          perOrder: Math.round((count / Math.max(orders, 1)) * 100) / 100,
          meanMs: s.mean,
          p50Ms: s.p50,
          p99Ms: s.p99,
        };
      })
      .sort((a, b) => b.count * b.meanMs - a.count * a.meanMs);
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
    for (const s of this.servers) s.closeAllConnections();
  }

  private forward(name: string, target: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    const t0 = performance.now();
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent: this.agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', () => this.record(`${name} ${req.method} ${route(req.url ?? '')} ${up.statusCode}`, t0));
      },
    );
    upstream.on('error', () => {
      this.record(`${name} ${req.method} ${route(req.url ?? '')} proxy-error`, t0);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }

  private record(call: string, t0: number): void {
    let rec = this.calls.get(call);
    if (!rec) this.calls.set(call, (rec = new LatencyRecorder()));
    rec.ok(performance.now() - t0, true);
  }
}

/** `/v1/transactions/1b9d…/branches/42?x=1` → `/v1/transactions/:id/branches/:id` */
export function route(url: string): string {
  return url
    .split('?')[0]!
    .split('/')
    .map((part) => (/^[0-9a-f-]{8,}$/i.test(part) || /^\d+$/.test(part) ? ':id' : part))
    .join('/');
}
