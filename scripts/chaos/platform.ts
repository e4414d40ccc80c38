/**
 * The platform under test: two replicas of each app as child processes on free loopback
 * ports, against databases and an exchange of the run's own (`trx_chaos_*`,
 * `trx-events-chaos`), with short recovery and sweep intervals so that a fault heals in
 * seconds. SERVICE_URLS lists every replica, so callers fail over between them.
 */
import path from 'node:path';
import { credentialEnv, readSecrets, type LocalSecrets } from '../local/credentials';
import { freePorts } from './free-port';
import { ManagedProcess, type ExitRecord } from './launcher';
import type { ChaosOptions } from './options';

export const APPS = ['transaction-server', 'account-service', 'product-service', 'order-service'] as const;
export type AppName = (typeof APPS)[number];
export const REPLICAS = 2;

/**
 * The order's transaction timeout, and the coordinators' default one: since protocol v2 the
 * order-service begins nothing (it mints a UUIDv7 id), so a transaction's deadline is its id's
 * time plus the coordinator's TRX_DEFAULT_TIMEOUT_MS. Equal, the two keep the 8 s bound the
 * checks (decided in time, answered in time) and the late-commit fault are measured against.
 */
export const TRANSACTION_TIMEOUT_MS = 8_000;

/** The database of each app, by the app's own suffix (trx_coordinator → trx_chaos_coordinator). */
export function databaseOf(options: Pick<ChaosOptions, 'namespace'>, app: AppName): string {
  const suffix = {
    'transaction-server': 'coordinator',
    'account-service': 'account',
    'product-service': 'product',
    'order-service': 'order',
  }[app];
  return `${options.namespace}_${suffix}`;
}

export function exchangeOf(options: Pick<ChaosOptions, 'namespace'>): string {
  return options.namespace.replace(/_/g, '-').replace(/^trx-/, 'trx-events-');
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export class Platform {
  readonly exits: ExitRecord[] = [];

  private constructor(readonly processes: ManagedProcess[]) {}

  static async create(options: ChaosOptions): Promise<Platform> {
    const ports = await freePorts(APPS.length * REPLICAS);
    const slots = APPS.flatMap((app) =>
      Array.from({ length: REPLICAS }, (_, i) => ({ app, replica: i + 1 })),
    );
    const withPorts = slots.map((slot, i) => ({ ...slot, port: ports[i]! }));
    const serviceUrls = withPorts.map((s) => `${s.app}=http://127.0.0.1:${s.port}`).join(',');
    const platform = new Platform([]);
    const secrets = readSecrets();
    for (const slot of withPorts) {
      const name = `${slot.app}-${slot.replica}`;
      const env = appEnv(options, secrets, slot.app, name, slot.port, serviceUrls);
      const logFile = path.join(options.outDir, `${name}.log`);
      const spec = { name, app: slot.app, port: slot.port, env, logFile };
      const managed: ManagedProcess = new ManagedProcess(
        spec,
        (exit) => platform.onExit(managed, exit),
        (pid) => platform.onStart(pid),
      );
      platform.processes.push(managed);
    }
    return platform;
  }

  /**
   * A replica that dies by itself (not killed by us) is reported and started again after a
   * second, as a supervisor (systemd, Kubernetes) would; the run goes on.
   */
  restartOnCrash = false;
  onCrash: (exit: ExitRecord) => void = () => undefined;
  /** Every pid started, so that a run killed without cleanup can be cleaned up by the next. */
  onStart: (pid: number) => void = () => undefined;

  private onExit(process: ManagedProcess, exit: ExitRecord): void {
    this.exits.push(exit);
    if (!exit.unexpected) return;
    this.onCrash(exit);
    if (this.restartOnCrash)
      setTimeout(() => this.restartOnCrash && !process.running && process.start(), 1_000).unref();
  }

  ofApp(app: AppName): ManagedProcess[] {
    return this.processes.filter((p) => p.spec.app === app);
  }

  /**
   * Starts the first replica of every app in dependency order (the coordinator first: a
   * participant is ready only when it reaches it), then the second replicas all at once.
   */
  async start(readyTimeoutMs = 90_000): Promise<void> {
    for (const app of APPS) {
      const first = this.ofApp(app)[0]!;
      first.start();
      await first.waitReady(readyTimeoutMs);
    }
    const rest = APPS.flatMap((app) => this.ofApp(app).slice(1));
    rest.forEach((p) => p.start());
    await Promise.all(rest.map((p) => p.waitReady(readyTimeoutMs)));
  }

  /** Starts whatever is not running and waits until every replica is ready. */
  async heal(readyTimeoutMs = 60_000): Promise<void> {
    for (const p of this.processes) if (!p.running) p.start();
    await Promise.all(this.processes.map((p) => p.waitReady(readyTimeoutMs)));
  }

  async allReady(): Promise<boolean> {
    const ready = await Promise.all(this.processes.map((p) => p.isReady()));
    return ready.every(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }

  /** Last resort on exit: nothing we started may outlive the run. */
  killAllSync(): void {
    for (const p of this.processes) if (p.pid) process.kill(p.pid, 'SIGKILL');
  }
}

/**
 * An app's environment: its own credentials (Postgres role owning the run's database, broker
 * user, service token — scripts/local/credentials.ts) and the run's short intervals.
 */
function appEnv(
  options: ChaosOptions,
  secrets: LocalSecrets,
  app: AppName,
  name: string,
  port: number,
  serviceUrls: string,
): Record<string, string> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && !isAppKey(k)),
  ) as Record<string, string>;
  const exchange = exchangeOf(options);
  return {
    ...inherited,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    ADVERTISE_ADDRESS: '127.0.0.1',
    ...credentialEnv(app, secrets, {
      postgres: new URL(options.pgAdminUrl).host,
      rabbitmq: new URL(options.amqpUrl).host,
      database: databaseOf(options, app),
    }),
    DB_POOL_SIZE: '6',
    TRX_EXCHANGE: exchange,
    LOG_LEVEL: options.logLevel,
    INSTANCE_ID: name,
    SERVICE_URLS: serviceUrls,
    SHUTDOWN_TIMEOUT_MS: '5000',
    // The coordinator: sweep and re-publish often, so recovery is measured in seconds.
    TRX_SWEEP_INTERVAL_MS: '500',
    TRX_REPUBLISH_AFTER_MS: '2000',
    TRX_REPUBLISH_MAX_MS: '5000',
    TRX_OUTBOX_POLL_MS: '500',
    // The coordinator: a transaction nobody began (protocol v2) ends at its id's time + this.
    TRX_DEFAULT_TIMEOUT_MS: String(TRANSACTION_TIMEOUT_MS),
    // The audit queue's default name is the developers' (trx-events.audit): use our own.
    TRX_AUDIT_QUEUE: `${exchange}.audit`,
    TRX_AUDIT_MAX_LENGTH: '1000',
    // Participants.
    TRX_RECOVERY_INTERVAL_MS: '2000',
    CALL_TIMEOUT_MS: '3000',
    // The order-service.
    ORDER_TRANSACTION_TIMEOUT_MS: String(TRANSACTION_TIMEOUT_MS),
    ORDER_FAULT_INJECTION: 'true',
  };
}

/** Keys of the apps' configuration that a developer's shell must not leak into the run. */
function isAppKey(key: string): boolean {
  return (
    /^(PORT|HOST|DATABASE_URL|AMQP_URL|CONSUL_URL|CONSUL_TOKEN|SERVICE_URLS|INSTANCE_ID)$/.test(key) ||
    key.startsWith('TRX_') ||
    key.startsWith('ORDER_')
  );
}
