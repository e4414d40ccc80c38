/**
 * The request handling of FakeConsul (see fake-consul.ts): the routes and response shapes of the
 * Consul agent HTTP API endpoints @trx/discovery uses, as Consul's API documentation gives them.
 */
import type http from 'node:http';
import { healthEntry, service } from './fake-consul-shapes';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface FakeRegistration {
  id: string;
  name: string;
  address: string;
  port: number;
  tags: string[];
  /** Status of the service's check. */
  status: CheckStatus;
  /** The JSON body of the registration, exactly as received. */
  body: Record<string, unknown>;
  /** X-Consul-Token of the registering request. */
  token: string | undefined;
  createIndex: number;
}

export interface ConsulState {
  index: number;
  registrations: Map<string, FakeRegistration>;
  requests: { method: string; path: string; query: Record<string, string>; token: string | undefined }[];
  waiters: Set<() => void>;
  aclToken: string | undefined;
  initialStatus: CheckStatus;
  nodeAddress: string;
}

export function bump(state: ConsulState): void {
  state.index += 1;
  for (const wake of state.waiters) wake();
  state.waiters.clear();
}

export async function handleRequest(state: ConsulState, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://consul');
  const query = Object.fromEntries(url.searchParams);
  const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '');
  const token = (req.headers['x-consul-token'] as string | undefined) ?? auth ?? query.token;
  state.requests.push({ method: req.method ?? '', path: url.pathname, query, token });
  const body = await readBody(req);
  if (state.aclToken !== undefined && token !== state.aclToken) {
    return text(res, 403, token ? 'ACL not found' : 'Permission denied: anonymous token lacks permission');
  }
  const [, v1, area, kind, ...rest] = url.pathname.split('/');
  const route = `${req.method} /${v1}/${area}/${kind}`;
  const arg = decodeURIComponent(rest.join('/'));
  if (route === 'PUT /v1/agent/service' && arg === 'register') return register(state, body, token, res);
  if (route === 'PUT /v1/agent/service' && arg.startsWith('deregister/')) {
    return deregister(state, arg.slice('deregister/'.length), res);
  }
  if (route === 'GET /v1/agent/service' && arg) return getService(state, arg, res);
  if (route === 'GET /v1/health/service' && arg) return healthService(state, arg, query, res);
  return text(res, 404, `fake consul does not serve ${req.method} ${url.pathname}`);
}

function register(state: ConsulState, raw: string, token: string | undefined, res: http.ServerResponse) {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return text(res, 400, 'Request decode failed: invalid JSON');
  }
  const name = body.Name;
  if (typeof name !== 'string' || !name) return text(res, 400, 'Invalid Service: Missing service name');
  const id = typeof body.ID === 'string' && body.ID ? body.ID : name;
  const check = body.Check as { Status?: CheckStatus } | undefined;
  const previous = state.registrations.get(id);
  state.registrations.set(id, {
    id,
    name,
    address: typeof body.Address === 'string' ? body.Address : '',
    port: typeof body.Port === 'number' ? body.Port : 0,
    tags: Array.isArray(body.Tags) ? (body.Tags as string[]) : [],
    status: check?.Status ?? previous?.status ?? state.initialStatus,
    body,
    token,
    createIndex: previous?.createIndex ?? state.index + 1,
  });
  bump(state);
  return text(res, 200, '');
}

function deregister(state: ConsulState, id: string, res: http.ServerResponse) {
  if (!state.registrations.delete(id)) {
    return text(
      res,
      404,
      `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
    );
  }
  bump(state);
  return text(res, 200, '');
}

function getService(state: ConsulState, id: string, res: http.ServerResponse) {
  const r = state.registrations.get(id);
  if (!r) return text(res, 404, `unknown service ID: ${id}`);
  const definition = {
    ...service(r),
    ContentHash: `${r.createIndex.toString(16)}${state.index.toString(16)}`,
  };
  res.setHeader('X-Consul-ContentHash', definition.ContentHash);
  return json(res, 200, definition);
}

/** A blocking query: with `index` at or past the current index, hold the request until a change or `wait`. */
async function healthService(
  state: ConsulState,
  name: string,
  query: Record<string, string>,
  res: http.ServerResponse,
) {
  const index = query.index === undefined ? undefined : Number(query.index);
  if (index !== undefined && index >= state.index) {
    const waitMs = Math.min(parseDuration(query.wait) ?? 300_000, 600_000);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      state.waiters.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  const entries = [...state.registrations.values()]
    .filter((r) => r.name === name)
    .filter((r) => (query.passing === undefined || query.passing === 'false' ? true : r.status === 'passing'))
    .map((r) => healthEntry(state, r));
  res.setHeader('X-Consul-Index', String(state.index));
  res.setHeader('X-Consul-KnownLeader', 'true');
  res.setHeader('X-Consul-LastContact', '0');
  return json(res, 200, entries);
}

function parseDuration(value: string | undefined): number | undefined {
  const m = value?.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
