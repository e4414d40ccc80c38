import { silentLogger, type Logger } from '@trx/logging';
import { createConsulClient } from './consul-client';
import { ServiceWatch, type WatchTimings } from './service-watch';
import { staticDirectory, type ServiceDirectory } from './service-directory';

export interface DirectoryOptions {
  /** Consul agent HTTP address (`http://127.0.0.1:8500`); empty → the static map. */
  consulUrl?: string;
  /** Consul ACL token, sent as X-Consul-Token; needs service:read (and node:read). */
  consulToken?: string;
  /** service name → base URLs, used when no Consul address is given. */
  staticServices: Record<string, string[]>;
  logger?: Logger;
  /** Longest time Consul holds a blocking query (default 60 s; Consul caps it at 10 min). */
  watchWaitMs?: number;
  /** First backoff after a failed watch query (default 250 ms), doubling up to retryMaxMs. */
  retryMinMs?: number;
  /** Longest backoff between failed watch queries (default 10 s). */
  retryMaxMs?: number;
  /** While Consul fails, the last known instances are served for this long (default 30 s). */
  staleAfterMs?: number;
  /** Timeout of a non-blocking request to the agent (default 5 s). */
  requestTimeoutMs?: number;
}

/** Consul when an address is configured, the static map otherwise: callers can't tell them apart. */
export function createDirectory(options: DirectoryOptions): ServiceDirectory {
  if (!options.consulUrl) return staticDirectory(options.staticServices);
  return consulDirectory({ ...options, consulUrl: options.consulUrl });
}

/**
 * Passing instances from the Consul agent. The first lookup of a service asks Consul and starts
 * a background watch (blocking queries) for it; later lookups read the watched list, so a call
 * costs no round trip to Consul and an instance whose check goes critical drops out within one
 * blocking-query wake-up.
 */
export function consulDirectory(options: DirectoryOptions & { consulUrl: string }): ServiceDirectory {
  const logger = (options.logger ?? silentLogger()).child({ component: 'discovery' });
  const consul = createConsulClient(options.consulUrl, options.consulToken, options.requestTimeoutMs);
  const timings: WatchTimings = {
    waitMs: options.watchWaitMs ?? 60_000,
    retryMinMs: options.retryMinMs ?? 250,
    retryMaxMs: options.retryMaxMs ?? 10_000,
    staleAfterMs: options.staleAfterMs ?? 30_000,
  };
  const watches = new Map<string, ServiceWatch>();
  let closed = false;

  return {
    async instances(service) {
      if (closed) throw new Error('service directory is closed');
      let watch = watches.get(service);
      if (!watch) {
        watch = new ServiceWatch(service, consul, timings, logger);
        watches.set(service, watch);
      }
      try {
        return await watch.instances();
      } catch (err) {
        // A watch whose first query failed never started; forget it so the next call asks again.
        if (!watch.started && watches.get(service) === watch) watches.delete(service);
        throw err;
      }
    },
    async close() {
      closed = true;
      await Promise.all([...watches.values()].map((watch) => watch.stop()));
      watches.clear();
      consul.close();
    },
  };
}
