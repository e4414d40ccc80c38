/**
 * How fast the machine was while a step ran. These VMs change speed from minute to minute
 * (the same hashing took 24 to 50 ms of CPU on an idle machine within 15 s), and a step's CPU per
 * order with it, so two builds measured minutes apart can differ by the machine alone. A child
 * process does the same small piece of work twice a second and reports the CPU it took; the
 * median over a step is that step's probe time: higher is a slower machine. Used by `--against`,
 * which reports each build's probe times and the round ratios adjusted by them.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { median } from './stats';

export interface ProbeSample {
  /** Epoch ms when the work ended. */
  at: number;
  /** CPU ms the work took. */
  cpuMs: number;
}

export interface SpeedProbe {
  readonly samples: ProbeSample[];
  stop(): void;
}

export function startSpeedProbe(intervalMs = 500): SpeedProbe {
  const child = spawn(process.execPath, [path.join(__dirname, 'speed-probe-worker.js'), String(intervalMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const samples: ProbeSample[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [at, cpuUs] = line.split(' ').map(Number);
    if (Number.isFinite(at) && Number.isFinite(cpuUs)) samples.push({ at: at!, cpuMs: cpuUs! / 1000 });
  });
  return { samples, stop: () => void child.kill() };
}

/** The median CPU ms of the samples taken in [from, to], or undefined without any. */
export function probeMsBetween(samples: ProbeSample[], from: number, to: number): number | undefined {
  const inside = samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.cpuMs);
  return inside.length === 0 ? undefined : median(inside);
}
