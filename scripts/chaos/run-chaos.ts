/**
 * One chaos run, end to end: reset the run's databases and exchange, start the replicas,
 * drive the load while the fault plan runs, wait for recovery, check the invariants.
 * `runChaos` is what `npm run chaos` calls; a test or another script can call it too.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { grantExchange, rabbitReachable, resetBroker } from './broker';
import { readCommittedGids, readTransactions } from './coordinator-state';
import { RunDatabases } from './databases';
import { describe, injectFaults, planFaults, type FaultRecord, type PlannedFault } from './faults';
import { localInfra, type InfraControl } from './infra';
import { PidRegistry } from './leftovers';
import { acquireRunLock, type RunLock } from './run-lock';
import { checkInvariants, type InvariantResult } from './invariants';
import {
  readCatalogue,
  readEffects,
  readLedger,
  readOrderEvents,
  readOrders,
  topUp,
  type Ledger,
} from './ledger';
import type { ExitRecord } from './launcher';
import { Load, type Attempt } from './load';
import { planLateCommits } from './order-mix';
import { isLoopback, type ChaosOptions } from './options';
import { APPS, Platform, exchangeOf } from './platform';
import { Prng } from './prng';
import { waitForRecovery, type RecoveryState } from './recovery';
import { sleep } from './time';

export interface ChaosReport {
  options: ChaosOptions;
  exchange: string;
  databases: string[];
  loadStart: number;
  loadEnd: number;
  attempts: Attempt[];
  plan: PlannedFault[];
  faults: FaultRecord[];
  exits: ExitRecord[];
  recovery: { recovered: boolean; settledMs: number; state?: RecoveryState; error?: string };
  invariants: InvariantResult[];
  /** Balances and stock when the load started. */
  start: Ledger;
  /** Set when the run could not get as far as checking (the platform did not start, ...). */
  aborted?: string;
}

export type Log = (line: string) => void;

/** The order-service takes over an in-progress Idempotency-Key after ORDER_TRANSACTION_TIMEOUT_MS + 4 × CALL_TIMEOUT_MS (8 + 12 s here). */
const STALE_RETRY_AFTER_MS = 21_000;

export async function runChaos(options: ChaosOptions, log: Log = defaultLog): Promise<ChaosReport> {
  fs.mkdirSync(options.outDir, { recursive: true });
  log(
    `seed ${options.seed}: ${options.durationMs / 1000} s of load, ${options.concurrency} clients, faults ${options.faults.join(',') || 'none'} (replay: ${replayCommand(options)})`,
  );
  // Before anything touches the databases, the exchange or the servers: another run may be mid-fault.
  const lock = await acquireRunLock(options.namespace, log);
  try {
    return await runLocked(options, log, lock);
  } finally {
    lock.release();
  }
}

async function runLocked(options: ChaosOptions, log: Log, lock: RunLock): Promise<ChaosReport> {
  for (const f of fs.readdirSync(options.outDir))
    if (f.endsWith('.log')) fs.rmSync(path.join(options.outDir, f));
  const dbs = new RunDatabases(options);
  const infra = localInfra({
    postgresReachable: () => dbs.reachable(),
    rabbitReachable: () => rabbitReachable(options.amqpUrl),
    postgresLocal: isLoopback(options.pgAdminUrl),
    rabbitLocal: isLoopback(options.amqpUrl),
    log,
  });
  const report: ChaosReport = emptyReport(options, dbs);
  await infra.ensureUp();
  if (options.build) await build(log);
  const platform = await Platform.create(options);
  const pids = new PidRegistry(options.outDir, `TRX_EXCHANGE=${exchangeOf(options)}`);
  const leftovers = pids.killLeftovers();
  if (leftovers > 0) log(`killed ${leftovers} replicas left running by an earlier run`);
  platform.onStart = (pid) => pids.record(pid);
  const cleanup = onInterrupt(platform, infra, lock, log);
  try {
    await prepare(options, dbs, platform, log);
    await drive(options, dbs, platform, infra, report, log);
    await settle(options, dbs, platform, infra, report, log);
    report.invariants = await gather(report, dbs);
  } catch (err) {
    report.aborted = (err as Error).message;
    log(`run aborted: ${report.aborted}`);
  } finally {
    platform.restartOnCrash = false;
    report.exits = platform.exits;
    if (options.keep && !report.aborted) await keepRunning(platform, log);
    await platform.stop();
    await infra.ensureUp();
    cleanup();
  }
  return report;
}

async function build(log: Log): Promise<void> {
  log('building (tsc -b tsconfig.build.json)');
  await promisify(execFile)('npx', ['tsc', '-b', 'tsconfig.build.json'], { timeout: 600_000 });
}

/** Fresh databases and exchange, every replica ready, the catalogue topped up. */
async function prepare(
  options: ChaosOptions,
  dbs: RunDatabases,
  platform: Platform,
  log: Log,
): Promise<void> {
  log(`resetting databases ${dbs.all().join(', ')} and exchange ${exchangeOf(options)}`);
  await dbs.reset();
  await grantExchange(options);
  await resetBroker(
    options,
    APPS.filter((a) => a !== 'transaction-server'),
  );
  log(
    `starting ${platform.processes.map((p) => `${p.name} :${p.spec.port}`).join(', ')} (logs in ${options.outDir}/)`,
  );
  await platform.start();
  platform.restartOnCrash = true;
  platform.onCrash = (exit) =>
    log(`UNEXPECTED EXIT of ${exit.name} (code ${exit.code}, signal ${exit.signal}): restarting it`);
  await topUp(dbs, await readCatalogue(dbs));
}

/** The load for `durationMs` with the fault plan running alongside; the last fault is over before the load stops. */
async function drive(
  options: ChaosOptions,
  dbs: RunDatabases,
  platform: Platform,
  infra: InfraControl,
  report: ChaosReport,
  log: Log,
): Promise<void> {
  const catalogue = await readCatalogue(dbs);
  log(
    `catalogue: ${catalogue.products.map((p) => `product ${p.id} stock ${p.stock} at ${p.price}`).join(', ')}; ${catalogue.customers.map((c) => `customer ${c.id} has ${c.balance}`).join(', ')}`,
  );
  report.start = await readLedger(dbs);
  report.plan = planFaults(new Prng(options.seed).fork('faults'), {
    kinds: options.faults,
    maxFaults: options.maxFaults,
    durationMs: options.durationMs,
    processesOf: (app) => platform.ofApp(app).map((p) => p.name),
  });
  report.plan.forEach((f, i) => log(`plan ${i + 1}/${report.plan.length}: ${describe(f)}`));
  const lateCommitsAt = planLateCommits(new Prng(options.seed).fork('late-commits'), options.durationMs);
  log(`late-commit orders at ${lateCommitsAt.map((ms) => `+${(ms / 1000).toFixed(1)} s`).join(', ')}`);
  const load = new Load({
    seed: options.seed,
    concurrency: options.concurrency,
    targets: () => platform.ofApp('order-service').map((p) => p.url),
    catalogue,
    requestTimeoutMs: options.requestTimeoutMs,
    lateCommitsAt,
    staleRetryAfterMs: STALE_RETRY_AFTER_MS,
  });
  report.attempts = load.attempts;
  report.loadStart = Date.now();
  load.start();
  const deadline = report.loadStart + options.durationMs;
  const faults = injectFaults(report.plan, report.loadStart, { platform, infra, log, deadline });
  const progress = setInterval(() => log(progressLine(load.attempts, report.loadStart)), 15_000);
  await sleep(options.durationMs);
  report.faults = await faults;
  clearInterval(progress);
  log('stopping the load');
  await load.stop();
  report.loadEnd = Date.now();
}

async function settle(
  options: ChaosOptions,
  dbs: RunDatabases,
  platform: Platform,
  infra: InfraControl,
  report: ChaosReport,
  log: Log,
): Promise<void> {
  log(`waiting for recovery (at most ${options.recoveryTimeoutMs / 1000} s)`);
  await infra.ensureUp();
  await platform.heal(60_000).catch((err: Error) => log(`not every replica is ready: ${err.message}`));
  const outcome = await waitForRecovery(
    platform,
    dbs,
    Math.max(0, report.loadEnd + options.recoveryTimeoutMs - Date.now()),
  );
  report.recovery = { ...outcome, settledMs: Date.now() - report.loadEnd };
  log(
    outcome.recovered
      ? `recovered ${report.recovery.settledMs} ms after the load stopped`
      : `NOT recovered: ${JSON.stringify(outcome.state ?? outcome.error)}`,
  );
}

async function gather(report: ChaosReport, dbs: RunDatabases): Promise<InvariantResult[]> {
  const [end, orders, prepared, transactions, effects, committedGids, orderEvents] = await Promise.all([
    readLedger(dbs),
    readOrders(dbs),
    dbs.prepared(),
    readTransactions(dbs),
    readEffects(dbs),
    readCommittedGids(dbs),
    readOrderEvents(dbs),
  ]);
  return checkInvariants({
    orderEvents,
    effects,
    committedGids,
    start: report.start,
    end,
    orders,
    transactions,
    prepared,
    attempts: report.attempts,
  });
}

function progressLine(attempts: readonly Attempt[], since: number): string {
  const by = (pred: (a: Attempt) => boolean) => attempts.filter(pred).length;
  return `+${Math.round((Date.now() - since) / 1000)} s: ${attempts.length} sent, ${by((a) => a.status === 201)} confirmed, ${by((a) => a.status === 409)} refused, ${by((a) => (a.status ?? 0) >= 500)} 5xx, ${by((a) => a.error !== undefined)} client errors`;
}

async function keepRunning(platform: Platform, log: Log): Promise<void> {
  log(
    `--keep: the platform stays up (${platform.processes.map((p) => `${p.name} ${p.url}`).join(', ')}); Ctrl-C stops it`,
  );
  await new Promise(() => undefined);
}

/** Ctrl-C: nothing we started may outlive us, and the shared servers must be left running. */
function onInterrupt(platform: Platform, infra: InfraControl, lock: RunLock, log: Log): () => void {
  const handler = () => {
    log('interrupted: killing the replicas, making sure PostgreSQL and RabbitMQ run');
    platform.restartOnCrash = false;
    platform.killAllSync();
    void infra.ensureUp().finally(() => {
      lock.release();
      process.exit(130);
    });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function emptyReport(options: ChaosOptions, dbs: RunDatabases): ChaosReport {
  return {
    options,
    exchange: exchangeOf(options),
    databases: dbs.all(),
    loadStart: 0,
    loadEnd: 0,
    attempts: [],
    plan: [],
    faults: [],
    exits: [],
    recovery: { recovered: false, settledMs: 0 },
    invariants: [],
    start: { balanceCents: 0, stock: new Map() },
  };
}

/** The command that replays this run: same seed, so the same plan and order mix. */
export function replayCommand(o: ChaosOptions): string {
  const faults = o.faults.join(',') || 'none';
  return `npm run chaos -- --seed ${o.seed} --duration ${o.durationMs / 1000} --faults ${faults} --max-faults ${o.maxFaults} --concurrency ${o.concurrency}`;
}

function defaultLog(line: string): void {
  process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
}
