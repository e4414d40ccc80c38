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
}

/**
 * Calls a service by name: round robin over its healthy instances, retrying once — on another
 * instance when there is one — when the request never reached an instance.
 */
export interface ServiceCaller {
  request<T = unknown>(service: string, config: AxiosRequestConfig): Promise<AxiosResponse<T>>;
  close(): Promise<void>;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node's ClientRequest, or follow-redirects' wrapper of it when redirects are enabled. */
interface SentRequest {
  reusedSocket?: boolean;
  _currentRequest?: { reusedSocket?: boolean };
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

export function createServiceCaller(options: ServiceCallerOptions): ServiceCaller {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const client: AxiosInstance = axios.create({
    httpAgent: agent,
    timeout: options.timeoutMs ?? 10_000,
    maxRedirects: 0, // services answer directly; a redirect is an answer for the caller to see
    validateStatus: () => true, // callers map statuses themselves
  });
  const cursor = new Map<string, number>();

  function order(service: string, urls: string[]): string[] {
    const start = cursor.get(service) ?? 0;
    cursor.set(service, (start + 1) % Math.max(urls.length, 1));
    return urls.map((_, i) => urls[(start + i) % urls.length]!);
  }

  return {
    async request<T>(service: string, config: AxiosRequestConfig) {
      const urls = await options.directory.instances(service);
      if (urls.length === 0) throw new NoInstancesError(service);
      const ordered = order(service, urls);
      // A refused or unreachable instance: one retry, on the next instance when there is one.
      let moveOn = 1;
      let fresh = false;
      for (let i = 0; ;) {
        try {
          const baseURL = ordered[i % ordered.length];
          // agent false: a connection of its own, never one from the pool.
          return await client.request<T>({ ...config, baseURL, ...(fresh ? { httpAgent: false } : {}) });
        } catch (err) {
          // After an idle spell several pooled sockets can be stale at once (seen at 64
          // clients), so the retry of a stale reuse goes out on a new connection.
          if (isStaleSocketReset(err) && !fresh) {
            fresh = true;
            continue;
          }
          if (!isConnectFailure(err) || moveOn-- <= 0) throw err;
          i++;
        }
      }
    },
    async close() {
      agent.destroy();
    },
  };
}
