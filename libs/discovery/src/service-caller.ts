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
  const failure = err as { code?: string; response?: unknown; request?: SentRequest } | null;
  if (!failure || failure.response || typeof failure.code !== 'string') return false;
  if (CONNECT_ERRORS.has(failure.code)) return true;
  // A reset on a kept-alive socket is the instance closing an idle connection as we reused it
  // (Node's documented keep-alive race), not a request it received. A reset on a fresh socket
  // may come after the instance got the request, so it is not retried: calls aren't idempotent.
  const sent = failure.request?._currentRequest ?? failure.request;
  return failure.code === 'ECONNRESET' && sent?.reusedSocket === true;
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
      // One instance only: a retry goes to it again, on a fresh connection (what a reset of a
      // reused keep-alive socket needs; a refused connect fails again at once).
      const candidates = ordered.length > 1 ? ordered.slice(0, 2) : [ordered[0]!, ordered[0]!];
      let lastError: unknown;
      for (const baseURL of candidates) {
        try {
          return await client.request<T>({ ...config, baseURL });
        } catch (err) {
          lastError = err;
          if (!isConnectFailure(err)) throw err;
        }
      }
      throw lastError;
    },
    async close() {
      agent.destroy();
    },
  };
}
