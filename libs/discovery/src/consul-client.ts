import { EventEmitter } from 'node:events';
import Consul from 'consul';
import { InvalidConsulUrlError } from './errors';

/** The part of Consul's HTTP API that discovery uses, typed; built on the `consul` package. */
export interface ConsulClient {
  readonly url: string;
  /** PUT /v1/agent/service/register */
  register(definition: ServiceDefinition): Promise<void>;
  /** PUT /v1/agent/service/deregister/{id}; true when the agent knew the id. */
  deregister(id: string): Promise<boolean>;
  /** GET /v1/agent/service/{id}; false on 404 (the agent forgot it, e.g. after a restart). */
  hasService(id: string): Promise<boolean>;
  /** GET /v1/health/service/{name}?passing, blocking when `index` is given. */
  passingInstances(service: string, query: BlockingQuery): Promise<HealthAnswer>;
  close(): void;
}

export interface ServiceDefinition {
  name: string;
  id: string;
  address: string;
  port: number;
  tags?: string[];
  meta?: Record<string, string>;
  check: {
    name: string;
    http: string;
    interval: string;
    timeout: string;
    deregistercriticalserviceafter: string;
  };
}

export interface BlockingQuery {
  index?: string;
  waitMs?: number;
  /** Emit 'cancel' to abort the request (papi's ctx). */
  cancel?: EventEmitter;
}

export interface HealthAnswer {
  /** X-Consul-Index of the answer: pass it back as `index` to wait for the next change. */
  index: string | undefined;
  /** `http://host:port` of each passing instance, sorted, without duplicates. */
  urls: string[];
}

interface HealthEntry {
  Node?: { Address?: string };
  Service?: { Address?: string; Port?: number };
}

// papi (the HTTP layer under `consul`) rejects non-2xx answers with an error carrying
// statusCode; hasService's plain HTTP does the same.
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function createConsulClient(
  consulUrl: string,
  token?: string,
  requestTimeoutMs = 5_000,
): ConsulClient {
  let parsed: URL;
  try {
    parsed = new URL(consulUrl);
  } catch {
    throw new InvalidConsulUrlError(consulUrl);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidConsulUrlError(consulUrl);
  const baseUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}/v1`;
  // baseUrl is a papi option the package's typings leave out; it keeps any path prefix of a proxy.
  const consul = new Consul({ baseUrl, defaults: token ? { token } : undefined } as never);
  const common = { timeout: requestTimeoutMs };
  const tokenHeader: Record<string, string> = token ? { 'x-consul-token': token } : {};

  return {
    url: consulUrl,
    async register(definition) {
      await consul.agent.service.register({ ...definition, ...common } as never);
    },
    async deregister(id) {
      try {
        await consul.agent.service.deregister({ id, ...common } as never);
        return true;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    },
    async hasService(id) {
      // The package has no method for GET /v1/agent/service/:id: plain HTTP to the same
      // agent, with the same token and timeout.
      const res = await fetch(`${baseUrl}/agent/service/${encodeURIComponent(id)}`, {
        headers: tokenHeader,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      await res.arrayBuffer(); // read to the end, so the connection can be reused
      if (res.status === 404) return false;
      if (res.ok) return true;
      const err = new Error(`consul answered ${res.status} to GET /v1/agent/service/${id}`);
      throw Object.assign(err, { statusCode: res.status });
    },
    async passingInstances(service, query) {
      const ctx = Object.assign(query.cancel ?? new EventEmitter(), { includeResponse: true });
      const blocking =
        query.index === undefined
          ? common
          : // the request must outlive the wait Consul holds it for (plus its jitter of wait/16)
            {
              index: query.index,
              wait: `${query.waitMs}ms`,
              timeout: Math.ceil((query.waitMs ?? 0) * 1.1) + 1_000,
            };
      const [res, body] = (await consul.health.service({
        service,
        passing: true,
        ctx,
        ...blocking,
      } as never)) as [{ headers: Record<string, string | undefined> }, HealthEntry[]];
      return { index: res.headers['x-consul-index'], urls: toUrls(body) };
    },
    close() {
      consul.destroy();
    },
  };
}

function toUrls(entries: HealthEntry[]): string[] {
  const urls = new Set<string>();
  for (const entry of entries ?? []) {
    // An empty Service.Address means "the node's address" in Consul's model.
    const host = entry.Service?.Address || entry.Node?.Address;
    const port = entry.Service?.Port;
    if (!host || !port) continue;
    urls.add(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  }
  return [...urls].sort();
}
