import { EventEmitter } from 'node:events';
import type { Logger } from '@trx/logging';
import type { ConsulClient } from './consul-client';
import { DiscoveryUnavailableError } from './errors';

const MIN_QUERY_MS = 20;

export interface WatchTimings {
  /** How long Consul may hold a blocking query open. */
  waitMs: number;
  /** Backoff after a failed query: doubles from min to max. */
  retryMinMs: number;
  retryMaxMs: number;
  /** How long the last known list is still served while every query fails. */
  staleAfterMs: number;
}

/**
 * The passing instances of one service, kept current by a loop of Consul blocking queries
 * (https://developer.hashicorp.com/consul/api-docs/features/blocking). Callers read the cache;
 * only the first read waits for Consul.
 */
export class ServiceWatch {
  private urls: string[] = [];
  private index: string | undefined;
  private failingSince: number | undefined;
  private lastError: unknown;
  private stopped = false;
  private running = false;
  /** Emits 'stop' once, to abort the query in flight and end a backoff pause. */
  private readonly stopSignal = new EventEmitter();
  private readonly first: Promise<void>;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly service: string,
    private readonly consul: ConsulClient,
    private readonly timings: WatchTimings,
    private readonly logger: Logger,
  ) {
    this.first = this.query(undefined).then(() => {
      this.running = true;
      this.loop = this.run();
    });
  }

  /** The first query succeeded and the watch loop runs. */
  get started(): boolean {
    return this.running;
  }

  /** The current list; throws when Consul has not answered for longer than staleAfterMs. */
  async instances(): Promise<string[]> {
    try {
      await this.first;
    } catch (err) {
      throw new DiscoveryUnavailableError(this.service, this.consul.url, err);
    }
    const failingFor = this.failingSince === undefined ? 0 : Date.now() - this.failingSince;
    if (failingFor > this.timings.staleAfterMs) {
      throw new DiscoveryUnavailableError(this.service, this.consul.url, this.lastError);
    }
    return this.urls;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.emit('stop');
    await this.loop;
  }

  private async query(index: string | undefined): Promise<void> {
    // one ctx per request: papi adds its abort listener to it, and it is dropped with the request
    const cancel = new EventEmitter();
    const abort = () => cancel.emit('cancel');
    this.stopSignal.once('stop', abort);
    let answer;
    try {
      answer = await this.consul.passingInstances(this.service, {
        index,
        waitMs: this.timings.waitMs,
        cancel,
      });
    } finally {
      this.stopSignal.removeListener('stop', abort);
    }
    if (!sameList(answer.urls, this.urls)) {
      this.logger.info({ service: this.service, instances: answer.urls }, 'service instances changed');
    }
    this.urls = answer.urls;
    this.index = nextIndex(this.index, answer.index);
    this.failingSince = undefined;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const started = Date.now();
      try {
        await this.query(this.index);
        attempt = 0;
        // An agent that answers at once every time (index unchanged, wait ignored) would make
        // this loop spin; Consul's docs ask clients to rate-limit, so keep a small floor.
        if (Date.now() - started < MIN_QUERY_MS) await this.pause(MIN_QUERY_MS);
      } catch (err) {
        if (this.stopped) return;
        this.failingSince ??= Date.now();
        this.lastError = err;
        const delayMs = Math.min(this.timings.retryMaxMs, this.timings.retryMinMs * 2 ** attempt++);
        this.logger.warn({ service: this.service, err, retryInMs: delayMs }, 'consul watch failed, retrying');
        await this.pause(delayMs);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopSignal.removeListener('stop', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.stopSignal.once('stop', done);
    });
  }
}

/**
 * Consul's rules for the index of the next blocking query: an index that went backwards (the
 * servers' state was reset) restarts from 0, and a missing or zero index is never sent back,
 * because index=0 would return at once and spin.
 */
function nextIndex(previous: string | undefined, received: string | undefined): string | undefined {
  if (!received || !/^\d+$/.test(received) || BigInt(received) === 0n) return '1';
  if (previous !== undefined && BigInt(received) < BigInt(previous)) return '0';
  return received;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((url, i) => url === b[i]);
}
