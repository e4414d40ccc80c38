import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CpuProfiler, type ProfileSummary } from './diagnostics';
import type { BenchOptions } from './options';
import { servicePids, startPlatform, stopPlatform } from './platform';
import { log } from './log';

/** The platform for the run: started by the bench (then stopped by it) or given by --url. */
export class PlatformSession {
  private stopped = false;

  private constructor(
    private readonly o: BenchOptions,
    private readonly repoRoot: string,
    private readonly started: boolean,
    readonly services: Record<string, string>,
    private readonly profiler: CpuProfiler | undefined,
    /** pid → service, known when scripts/up.sh started them. */
    readonly pids?: ReadonlyMap<number, string>,
  ) {}

  static async open(o: BenchOptions, repoRoot: string): Promise<PlatformSession> {
    const started = !o.url && o.modes.some((m) => m !== 'local');
    const services = { ...o.services, ...(o.url ? { 'order-service': o.url } : {}) };
    if (!started) return new PlatformSession(o, repoRoot, false, services, undefined);
    const profiler = o.profile
      ? new CpuProfiler(path.join(repoRoot, '.trx', 'prof', String(Date.now())))
      : undefined;
    const extra = profiler ? ' NODE_OPTIONS=--require cpu-profiler-preload.js' : '';
    log(`starting the platform: ORDER_BASELINE_MODE=true${extra} bash ${o.upScript}`);
    await startPlatform(repoRoot, {
      logLevel: o.logLevel,
      upScript: o.upScript,
      env: profiler?.serviceEnv(),
    });
    const pids = o.upScript === 'scripts/up.sh' ? servicePids(repoRoot) : undefined;
    const session = new PlatformSession(o, repoRoot, true, services, profiler, pids);
    session.stopOnCrash();
    return session;
  }

  /** If the bench itself crashes, the services it started are stopped before it exits. */
  private stopOnCrash(): void {
    const onCrash = (err: unknown) => {
      console.error(`[bench] FAILED (crash): ${(err as Error)?.stack ?? String(err)}`);
      if (!this.stopped && !this.o.keepUp) {
        this.stopped = true;
        spawnSync('bash', [this.o.downScript], { cwd: this.repoRoot, stdio: 'inherit' });
      }
      process.exit(1);
    };
    process.once('uncaughtException', onCrash);
    process.once('unhandledRejection', onCrash);
  }

  /** Stops what the bench started (once; not with --keep-up). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.started && !this.o.keepUp) {
      log(`stopping the platform: bash ${this.o.downScript}`);
      await stopPlatform(this.repoRoot, this.o.downScript);
    }
  }

  /** With --profile, the services' CPU profiles; written when they exit, so read after close(). */
  profiles(): ProfileSummary[] {
    return this.profiler?.summaries() ?? [];
  }
}
