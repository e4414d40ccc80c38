import http from 'node:http';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { NoInstancesError } from './errors';
import type { ServiceDirectory } from './service-directory';

export interface ServiceCallerOptions {
  directory: ServiceDirectory;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Upper bound on kept-alive sockets per instance. */
  maxSockets?: number;
  /**
   * How long an instance that timed out or refused a call is passed over while others are
   * there (default 10 s): a paused or dying replica costs one call its timeout, not every
   * call until discovery notices.
   */
  ejectMs?: number;
  clock?: () => number;
  /** This app's own bearer token, sent as `Authorization` on every call. */
  credential?: string;
}

export interface CallOptions {
  /**
   * The request may be sent again after it timed out (it is idempotent, or a duplicate is
   * harmless): one retry on another instance, when there is one.
   */
  retryOnTimeout?: boolean;
}

/**
 * Calls a service by name: round robin over its healthy instances, retrying once — on another
 * instance when there is one — when the request never reached an instance (or, for calls
 * that allow it, timed out). An instance that timed out or refused is passed over for a while.
 */
export interface ServiceCaller {
  request<T = unknown>(
    service: string,
    config: AxiosRequestConfig,
    options?: CallOptions,
  ): Promise<AxiosResponse<T>>;
  close(): Promise<void>;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node's ClientRequest, or follow-redirects' wrapper of it when redirects are enabled. */
interface SentRequest {
  reusedSocket?: boolean;
  _currentRequest?: { reusedSocket?: boolean };
}

/** The call got no answer within its timeout (the instance may or may not have acted on it). */
export function isTimeout(err: unknown): boolean {
  const failure = err as { code?: string; response?: unknown } | null;
  return !!failure && !failure.response && failure.code === 'ETIMEDOUT';
}

/** True when the request never reached the instance, so it is safe to send it to another one. */
export function isConnectFailure(err: unknown): boolean {
  const failure = err as { code?: string; response?: unknown } | null;
  if (!failure || failure.response || typeof failure.code !== 'string') return false;
  return CONNECT_ERRORS.has(failure.code) || isStaleSocketReset(err);
}

/**
 * A reset on a kept-alive socket is the instance closing an idle connection as we reused it
 * (Node's documented keep-alive race), not a request it received. A reset on a fresh socket
 * may come after the instance got the request, so it is not retried: calls aren't idempotent.
 */
export function isStaleSocketReset(err: unknown): boolean {
  const failure = err as { code?: string; response?: unknown; request?: SentRequest } | null;
  if (!failure || failure.response || failure.code !== 'ECONNRESET') return false;
  const sent = failure.request?._currentRequest ?? failure.request;
  return sent?.reusedSocket === true;
}

/**
 * The TCP keep-alive delay axios asks for on the socket of every request it sends (60 s in
 * axios 1.x's http adapter). The agent asks for its `keepAliveMsecs` each time it takes a
 * socket back. Node makes the system calls (four setsockopt) only when the asked-for value
 * changes, so with the agent's default of 1 s the two alternated: eight system calls per call
 * between services. With the same value on both sides, once per socket. (An agent overriding
 * `keepSocketAlive` could skip its own call, but would then have to copy the rest of Node's
 * hook: the idle timeout taken from the server's `Keep-Alive` hint.) The longer delay changes
 * nothing for idle pooled sockets: the agent drops them before the server's keep-alive timeout.
 */
const AXIOS_SOCKET_KEEP_ALIVE_MS = 60_000;

export function createServiceCaller(options: ServiceCallerOptions): ServiceCaller {
  const agent = new http.Agent({
    keepAlive: true,
    keepAliveMsecs: AXIOS_SOCKET_KEEP_ALIVE_MS,
    maxSockets: options.maxSockets ?? 64,
  });
  const client: AxiosInstance = axios.create({
    httpAgent: agent,
    timeout: options.timeoutMs ?? 10_000,
    maxRedirects: 0, // services answer directly; a redirect is an answer for the caller to see
    validateStatus: () => true, // callers map statuses themselves
    transitional: { clarifyTimeoutError: true }, // a timeout is ETIMEDOUT, not ECONNABORTED
    headers: options.credential ? { authorization: `Bearer ${options.credential}` } : {},
  });
  const cursor = new Map<string, number>();
  const ejectMs = options.ejectMs ?? 10_000;
  const now = options.clock ?? Date.now;
  /** Instance URL → until when it is passed over. */
  const ejected = new Map<string, number>();

  /** Round robin, the instances passed over last (they are still tried when nobody else is left). */
  function order(service: string, urls: string[]): string[] {
    const start = cursor.get(service) ?? 0;
    cursor.set(service, (start + 1) % Math.max(urls.length, 1));
    const rotated = urls.map((_, i) => urls[(start + i) % urls.length]!);
    const t = now();
    const out = (url: string) => (ejected.get(url) ?? 0) > t;
    return [...rotated.filter((u) => !out(u)), ...rotated.filter(out)];
  }

  return {
    async request<T>(service: string, config: AxiosRequestConfig, callOptions: CallOptions = {}) {
      const urls = await options.directory.instances(service);
      if (urls.length === 0) throw new NoInstancesError(service);
      const ordered = order(service, urls);
      // A refused or unreachable instance (or a timeout, where allowed): one retry, on the
      // next instance when there is one.
      let moveOn = 1;
      let fresh = false;
      for (let i = 0; ;) {
        const baseURL = ordered[i % ordered.length]!;
        try {
          // agent false: a connection of its own, never one from the pool.
          return await client.request<T>({ ...config, baseURL, ...(fresh ? { httpAgent: false } : {}) });
        } catch (err) {
          // After an idle spell several pooled sockets can be stale at once (seen at 64
          // clients), so the retry of a stale reuse goes out on a new connection.
          if (isStaleSocketReset(err) && !fresh) {
            fresh = true;
            continue;
          }
          const timedOut = isTimeout(err);
          if (timedOut || isConnectFailure(err)) ejected.set(baseURL, now() + ejectMs);
          const retry =
            isConnectFailure(err) || (timedOut && callOptions.retryOnTimeout === true && ordered.length > 1);
          if (!retry || moveOn-- <= 0) throw err;
          i++;
        }
      }
    },
    async close() {
      agent.destroy();
    },
  };
}
