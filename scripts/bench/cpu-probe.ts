import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time by component, read from /proc (Linux): the four services, Postgres (every
 * backend and helper), RabbitMQ (the Erlang VM), the bench process itself, and the rest.
 * On a 2-core machine that carries everything, CPU per order is what bounds throughput.
 */
export type CpuSample = {
  at: number;
  ticks: Record<string, number>;
  busy: number;
  total: number;
  /** Context switches of the whole machine since boot (/proc/stat `ctxt`). */
  switches: number;
};

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * `services` (pid → name), when known, names the platform under test; any other process
 * running an app's main.js (another copy of trx, a test) is counted as `other-trx`.
 */
export function sampleCpu(services?: ReadonlyMap<number, string>): CpuSample {
  const ticks: Record<string, number> = {};
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return { at: performance.now(), ticks, busy: 0, total: 0, switches: 0 };
  }
  for (const pid of pids) {
    const used = processTicks(pid);
    if (used === undefined) continue;
    const component = classify(pid, used.comm, services);
    ticks[component] = (ticks[component] ?? 0) + used.ticks;
  }
  return { at: performance.now(), ticks, ...machineTicks() };
}

/**
 * CPU milliseconds per component between two samples, how busy the machine was (0..1 per core
 * summed), and how many context switches it made: every message between two processes wakes
 * one, and on a virtual machine a switch and the interrupt that brings it are dear.
 */
export function cpuBetween(
  a: CpuSample,
  b: CpuSample,
): { ms: Record<string, number>; busyCores: number; switches: number } {
  const ms: Record<string, number> = {};
  for (const [component, t] of Object.entries(b.ticks)) {
    const delta = t - (a.ticks[component] ?? 0);
    if (delta > 0) ms[component] = (delta * 1000) / TICKS_PER_SECOND;
  }
  const cores = b.total - a.total > 0 ? (b.busy - a.busy) / ((b.total - a.total) / coreCount()) : 0;
  return { ms, busyCores: Math.round(cores * 100) / 100, switches: Math.max(0, b.switches - a.switches) };
}

function processTicks(pid: string): { comm: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // the process ended meanwhile
  }
}

function classify(pid: string, comm: string, services?: ReadonlyMap<number, string>): string {
  if (Number(pid) === process.pid) return 'bench';
  const service = services?.get(Number(pid));
  if (service) return service;
  if (comm === 'postgres' || comm.startsWith('postgres')) return 'postgres';
  if (comm === 'beam.smp' || comm === 'epmd' || comm === 'erl_child_setup' || comm === 'inet_gethost')
    return 'rabbitmq';
  if (comm === 'node' || comm.startsWith('node')) {
    const cmdline = readCmdline(pid);
    const app = /apps\/([a-z-]+)\/dist\/main\.js/.exec(cmdline)?.[1];
    if (app) return services ? 'other-trx' : app;
  }
  return 'other';
}

function readCmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function machineTicks(): { busy: number; total: number; switches: number } {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    const v = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const switches = Number(lines.find((l) => l.startsWith('ctxt '))?.slice(5) ?? 0);
    return { busy: total - idle, total, switches };
  } catch {
    return { busy: 0, total: 0, switches: 0 };
  }
}

let cores: number | undefined;
function coreCount(): number {
  if (cores === undefined) {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    cores = Math.max(1, lines.filter((l) => /^cpu\d+ /.test(l)).length);
  }
  return cores;
}
