import type { ProfileSummary } from './diagnostics';
import type { MachineDescription } from './machine';
import type { MetricRow } from './metrics-probe';
import type { BenchOptions, Mode } from './options';
import type { PgCost } from './pg-cost';
import type { FlowCheck } from './platform';
import type { SeedPlan } from './seed';
import type { StepSummary } from './stats';

/** The JSON written to bench/results/: everything needed to redraw the tables and the chart. */
export interface BenchResults {
  tool: 'trx-bench';
  formatVersion: 1;
  options: BenchOptions;
  machine: MachineDescription;
  seed: SeedPlan;
  checks: Partial<Record<Mode, FlowCheck>>;
  /** Modes that could not run, and why. */
  skipped: { mode: Mode; reason: string }[];
  steps: StepResult[];
  ratios: RatioRow[];
  pgCost: PgCost | null;
  /** With --profile: the services' CPU by package and function over the whole run. */
  profiles: ProfileSummary[];
}

export interface StepResult {
  mode: Mode;
  concurrency: number;
  durationS: number;
  summary: StepSummary;
  /** The 1-minute load average when the step began (others' work distorts the numbers). */
  loadAverage: number;
  /**
   * CPU ms per committed order, per component; busyCores = how many cores were busy on
   * average; switchesPerOrder = the machine's context switches per committed order (absent
   * in results from before 2026-12-02's sixth round).
   */
  cpu: {
    msPerOrder: Record<string, number>;
    totalMsPerOrder: number;
    busyCores: number;
    switchesPerOrder?: number;
  };
  /** Postgres work per committed order (cluster-wide: includes whatever else ran meanwhile). */
  pg: {
    walSyncsPerOrder: number;
    walWritesPerOrder: number;
    walBytesPerOrder: number;
    commitsPerOrder: Record<string, number>;
  };
  rabbit: { publishedPerOrder: number; deliveredPerOrder: number } | null;
  /** trx only: prepared transactions seen during the step, and how long after its end they took to finish. */
  prepared: { max: number; drainMs: number; left: number } | null;
  /**
   * The services' own histograms during the step: among them http_request_duration_seconds
   * by callee and route, i.e. every call between the services, counted where it arrives.
   */
  metrics: MetricRow[];
}

export interface RatioRow {
  concurrency: number;
  /** trx / baseline committed orders per second. */
  throughput: number | null;
  /** trx p99 / baseline p99. */
  p99: number | null;
  trxOfLocal: number | null;
  baselineOfLocal: number | null;
}

export function ratios(steps: StepResult[], concurrencies: number[]): RatioRow[] {
  const find = (mode: Mode, c: number) => steps.find((s) => s.mode === mode && s.concurrency === c)?.summary;
  const div = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 1000) / 1000 : null;
  return concurrencies.map((c) => {
    const [trx, baseline, local] = [find('trx', c), find('baseline', c), find('local', c)];
    return {
      concurrency: c,
      throughput: div(trx?.rate, baseline?.rate),
      p99: div(trx?.p99, baseline?.p99),
      trxOfLocal: div(trx?.rate, local?.rate),
      baselineOfLocal: div(baseline?.rate, local?.rate),
    };
  });
}
