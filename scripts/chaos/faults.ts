/**
 * The fault plan and its injection. The plan — which fault, when, on which process, for
 * how long — comes from the seed alone, so a run is replayed by its seed; the injector
 * runs it against the live platform one fault at a time and logs each one.
 */
import type { ManagedProcess } from './launcher';
import type { InfraControl } from './infra';
import type { FaultKind } from './options';
import type { AppName, Platform } from './platform';
import type { Prng } from './prng';
import { sleep } from './time';

export interface PlannedFault {
  kind: FaultKind;
  /** Offset from the start of the load. */
  atMs: number;
  /** A process name for kills. */
  target?: string;
  /** How long the victim stays down before it is started again (RabbitMQ and kills). */
  downMs: number;
}

export interface FaultRecord extends PlannedFault {
  startedAt: number;
  /** When the victim was back (process ready, broker or database answering), or undefined when it failed. */
  restoredAt?: number;
  /** When every replica answered ready again afterwards. */
  platformReadyAt?: number;
  error?: string;
  skipped?: boolean;
}

export const KILL_TARGETS: Record<string, readonly AppName[]> = {
  'kill-coordinator': ['transaction-server'],
  'kill-participant': ['account-service', 'product-service'],
  'kill-order': ['order-service'],
  pause: ['transaction-server', 'account-service', 'product-service', 'order-service'],
};

export interface PlanOptions {
  kinds: readonly FaultKind[];
  maxFaults: number;
  durationMs: number;
  processesOf: (app: AppName) => string[];
}

/**
 * Spreads the faults over the middle of the load: none in the first seconds (the baseline)
 * and none in the last fifth (the platform must show it serves again). Every kind comes
 * once before any comes twice, so a short run still sees each.
 */
export function planFaults(prng: Prng, options: PlanOptions): PlannedFault[] {
  if (options.kinds.length === 0 || options.maxFaults === 0) return [];
  const windowStart = Math.min(8_000, options.durationMs * 0.1);
  const windowEnd = options.durationMs * 0.8;
  const count = options.maxFaults;
  const kinds = [...prng.shuffle(options.kinds)];
  while (kinds.length < count) kinds.push(prng.pick(options.kinds));
  const slot = (windowEnd - windowStart) / count;
  return kinds.slice(0, count).map((kind, i) => {
    const atMs = Math.round(windowStart + i * slot + prng.next() * slot * 0.5);
    const apps = KILL_TARGETS[kind];
    const target = apps ? prng.pick(apps.flatMap(options.processesOf)) : undefined;
    const downMs =
      kind === 'postgres'
        ? 0
        : kind === 'pause'
          ? prng.int(2_000, 8_000)
          : prng.int(kind === 'rabbitmq' ? 1_000 : 200, 3_000);
    return { kind, atMs, target, downMs };
  });
}

export interface InjectorDeps {
  platform: Platform;
  infra: InfraControl;
  log: (line: string) => void;
  /** Faults that start after this moment are skipped (the load is over). */
  deadline: number;
}

/** Runs the plan from `loadStart`; resolves when the last fault is over (victim back or given up). */
export async function injectFaults(
  plan: readonly PlannedFault[],
  loadStart: number,
  deps: InjectorDeps,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  for (const fault of plan) {
    await sleep(loadStart + fault.atMs - Date.now());
    const record: FaultRecord = { ...fault, startedAt: Date.now() };
    records.push(record);
    if (record.startedAt > deps.deadline) {
      record.skipped = true;
      deps.log(`fault ${fault.kind} ${fault.target ?? ''} skipped: the load is over`);
      continue;
    }
    deps.log(`fault ${records.length}/${plan.length}: ${describe(fault)}`);
    try {
      await inject(fault, deps);
      record.restoredAt = Date.now();
      await deps.platform.heal(60_000);
      record.platformReadyAt = Date.now();
      deps.log(
        `fault ${fault.kind} over: back after ${record.restoredAt - record.startedAt} ms, every replica ready after ${record.platformReadyAt - record.startedAt} ms`,
      );
    } catch (err) {
      record.error = (err as Error).message;
      deps.log(`fault ${fault.kind} FAILED to restore: ${record.error}`);
    }
  }
  return records;
}

async function inject(fault: PlannedFault, deps: InjectorDeps): Promise<void> {
  switch (fault.kind) {
    case 'rabbitmq':
      await deps.infra.stopRabbit();
      try {
        await sleep(fault.downMs);
      } finally {
        await deps.infra.startRabbit();
      }
      return;
    case 'postgres':
      await deps.infra.restartPostgres();
      return;
    case 'pause':
      await pauseAndResume(processNamed(deps.platform, fault.target!), fault.downMs);
      return;
    default:
      await killAndRestart(processNamed(deps.platform, fault.target!), fault.downMs);
  }
}

async function killAndRestart(victim: ManagedProcess, downMs: number): Promise<void> {
  await victim.kill();
  await sleep(downMs);
  victim.start();
  await victim.waitReady(60_000);
}

/** SIGSTOP: the process keeps its sockets but answers nothing — a hang, not a crash. */
async function pauseAndResume(victim: ManagedProcess, downMs: number): Promise<void> {
  victim.pause();
  try {
    await sleep(downMs);
  } finally {
    victim.resume();
  }
}

function processNamed(platform: Platform, name: string): ManagedProcess {
  const found = platform.processes.find((p) => p.name === name);
  if (!found) throw new Error(`no process named ${name}`);
  return found;
}

export function describe(fault: PlannedFault): string {
  const when = `at +${(fault.atMs / 1000).toFixed(1)} s`;
  if (fault.kind === 'postgres') return `${when} restart PostgreSQL (-m immediate)`;
  if (fault.kind === 'rabbitmq') return `${when} RabbitMQ stop_app, ${fault.downMs} ms down, start_app`;
  if (fault.kind === 'pause') return `${when} SIGSTOP ${fault.target} for ${fault.downMs} ms, then SIGCONT`;
  return `${when} SIGKILL ${fault.target}, ${fault.downMs} ms down, start again`;
}
