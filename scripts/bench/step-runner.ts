import os from 'node:os';
import { cpuBetween, sampleCpu } from './cpu-probe';
import { runClosedLoop, type Operation } from './load-driver';
import { metricsBetween, sampleMetrics } from './metrics-probe';
import type { Mode } from './options';
import { pgBetween, type PgProbe } from './pg-probe';
import { sampleRabbit } from './rabbit-probe';
import type { StepResult } from './results';

/**
 * One measured step: a checkpoint, samples of every probe, the closed loop, the wait for
 * the prepared transactions it left to finish (trx), samples again, and the differences
 * divided by the committed orders.
 */
export interface StepContext {
  pg: PgProbe;
  services: Record<string, string>;
  rabbitApi: string;
  /**
   * Wait this long after a step before reading the counters: RabbitMQ refreshes its
   * every 5 s, and an idle Postgres backend flushes its statistics within 10 s.
   */
  settleMs: number;
  /** The services' pids (pid → name) when the bench started them with scripts/up.sh. */
  servicePids?: ReadonlyMap<number, string>;
}

const DRAIN_DEADLINE_MS = 30_000;

/** A load generator for one mode at one concurrency; measureStep closes it when the load ends. */
export interface Driver {
  operationFor(client: number): Operation;
  close(): Promise<void> | void;
}

export async function measureStep(
  ctx: StepContext,
  mode: Mode,
  concurrency: number,
  durationS: number,
  driver: Driver,
): Promise<StepResult> {
  await ctx.pg.checkpoint();
  const watcher = mode === 'trx' ? new PreparedWatcher(ctx.pg) : undefined;
  const [metricsBefore, rabbitBefore, pgBefore] = [
    await sampleMetrics(ctx.services),
    await sampleRabbit(ctx.rabbitApi),
    await ctx.pg.sample(),
  ];
  const loadAverage = Math.round(os.loadavg()[0]! * 100) / 100;
  const cpuBefore = sampleCpu(ctx.servicePids);
  const summary = await runClosedLoop({
    label: `${mode} c=${concurrency}`,
    concurrency,
    durationMs: durationS * 1000,
    operationFor: (i) => driver.operationFor(i),
    progressExtra: watcher ? () => `prepared=${watcher.last}` : undefined,
  }).finally(() => driver.close());
  const cpuAfter = sampleCpu(ctx.servicePids);
  const prepared = watcher ? await watcher.drain(DRAIN_DEADLINE_MS) : null;
  const metricsAfter = await sampleMetrics(ctx.services);
  await new Promise((r) => setTimeout(r, ctx.settleMs));
  const pgAfter = await ctx.pg.sample();
  const rabbitAfter = rabbitBefore ? await sampleRabbit(ctx.rabbitApi) : null;

  const orders = Math.max(1, summary.committed);
  const per = (v: number) => Math.round((v / orders) * 1000) / 1000;
  const cpu = cpuBetween(cpuBefore, cpuAfter);
  const pg = pgBetween(pgBefore, pgAfter);
  const msPerOrder = Object.fromEntries(Object.entries(cpu.ms).map(([k, v]) => [k, per(v)]));
  return {
    mode,
    concurrency,
    durationS,
    summary,
    loadAverage,
    cpu: {
      msPerOrder,
      totalMsPerOrder: per(Object.values(cpu.ms).reduce((s, v) => s + v, 0)),
      busyCores: cpu.busyCores,
      switchesPerOrder: per(cpu.switches),
    },
    pg: {
      walSyncsPerOrder: per(pg.walSyncs),
      walWritesPerOrder: per(pg.walWrites),
      walBytesPerOrder: per(pg.walBytes),
      commitsPerOrder: Object.fromEntries(Object.entries(pg.commits).map(([k, v]) => [k, per(v)])),
    },
    rabbit:
      rabbitBefore && rabbitAfter
        ? {
            publishedPerOrder: per(rabbitAfter.published - rabbitBefore.published),
            deliveredPerOrder: per(rabbitAfter.delivered - rabbitBefore.delivered),
          }
        : null,
    prepared,
    metrics: metricsBetween(metricsBefore, metricsAfter),
  };
}

/** Polls the services' prepared transactions during a trx step; after it, waits for them to finish. */
class PreparedWatcher {
  last = 0;
  max = 0;
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly pg: PgProbe) {
    this.timer = setInterval(() => void this.poll(), 250);
    this.timer.unref();
  }

  async drain(deadlineMs: number): Promise<{ max: number; drainMs: number; left: number }> {
    clearInterval(this.timer);
    const start = performance.now();
    let left = await this.pg.preparedCount();
    while (left > 0 && performance.now() - start < deadlineMs) {
      await new Promise((r) => setTimeout(r, 50));
      left = await this.pg.preparedCount();
    }
    return { max: this.max, drainMs: Math.round(performance.now() - start), left };
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.last = await this.pg.preparedCount();
      this.max = Math.max(this.max, this.last);
    } catch {
      // a probe failure must not stop the load
    } finally {
      this.busy = false;
    }
  }
}
