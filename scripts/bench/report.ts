import { renderProfile } from './diagnostics';
import type { BenchResults, StepResult } from './results';

/** The tables of a run as Markdown (printed at the end and written next to the JSON). */
export function renderReport(r: BenchResults): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.kernel}; node ${m.node}; ` +
      `${m.postgres?.split(' on ')[0] ?? 'Postgres ?'}; ${m.rabbitmq ?? 'RabbitMQ ?'}; ${m.date}; ` +
      `load average at start ${m.loadAverageAtStart.join(' ')}; git ${m.gitCommit ?? '?'}`,
    '',
    `${r.options.durationS} s per step, ${r.seed.rows} products and customers, quantity ${r.options.quantity}.`,
    '',
  );
  lines.push(
    '| mode | concurrency | orders/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/order | fsyncs/order | switches/order | busy cores |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of r.steps) {
    const x = s.summary;
    lines.push(
      `| ${s.mode} | ${s.concurrency} | ${fmt(x.rate, 1)} | ${fmt(x.p50)} | ${fmt(x.p95)} | ${fmt(x.p99)} | ` +
        `${x.errors} | ${fmt(s.cpu.totalMsPerOrder)} | ${fmt(s.pg.walSyncsPerOrder)} | ` +
        `${fmt(s.cpu.switchesPerOrder, 1)} | ${fmt(s.cpu.busyCores)} |`,
    );
  }
  if (r.ratios.some((x) => x.throughput !== null || x.trxOfLocal !== null)) {
    lines.push(
      '',
      '| concurrency | trx / baseline orders/s | trx p99 / baseline p99 | trx / local | baseline / local |',
      '|---:|---:|---:|---:|---:|',
    );
    for (const x of r.ratios) {
      lines.push(
        `| ${x.concurrency} | ${fmt(x.throughput)} | ${fmt(x.p99)} | ${fmt(x.trxOfLocal)} | ${fmt(x.baselineOfLocal)} |`,
      );
    }
  }
  lines.push('', ...cpuTable(r.steps));
  for (const s of r.skipped) lines.push('', `Mode ${s.mode} did not run: ${s.reason}`);
  const errors = r.steps.filter((s) => s.summary.errors > 0);
  for (const s of errors)
    lines.push('', `Errors in ${s.mode} c=${s.concurrency}: ${JSON.stringify(s.summary.errorKinds)}`);
  if (r.pgCost) lines.push('', ...pgCostTable(r));
  for (const p of r.profiles ?? []) lines.push('', ...renderProfile(p));
  return lines.join('\n');
}

function cpuTable(steps: StepResult[]): string[] {
  const components = [...new Set(steps.flatMap((s) => Object.keys(s.cpu.msPerOrder)))].sort();
  if (components.length === 0) return [];
  return [
    'CPU ms per committed order, by process:',
    '',
    `| mode | concurrency | ${components.join(' | ')} |`,
    `|---|---:|${components.map(() => '---:').join('|')}|`,
    ...steps.map(
      (s) =>
        `| ${s.mode} | ${s.concurrency} | ${components.map((c) => fmt(s.cpu.msPerOrder[c] ?? 0)).join(' | ')} |`,
    ),
  ];
}

function pgCostTable(r: BenchResults): string[] {
  const cost = r.pgCost!;
  const lines = [
    'Postgres alone, one-row update (bench_counter in trx_bench):',
    '',
    '| concurrency | commit/s | prepare + commit prepared/s | ratio | commit p99 ms | 2PC p99 ms |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of [...new Set(cost.steps.map((s) => s.concurrency))]) {
    const plain = cost.steps.find((s) => s.concurrency === c && s.kind === 'commit')?.summary;
    const twoPc = cost.steps.find((s) => s.concurrency === c && s.kind !== 'commit')?.summary;
    if (!plain || !twoPc) continue;
    lines.push(
      `| ${c} | ${fmt(plain.rate, 0)} | ${fmt(twoPc.rate, 0)} | ${fmt(twoPc.rate / plain.rate)} | ` +
        `${fmt(plain.p99)} | ${fmt(twoPc.p99)} |`,
    );
  }
  if (cost.fdatasyncPerSecond !== null) {
    lines.push('', `pg_test_fsync: one 8 kB write + fdatasync: ${fmt(cost.fdatasyncPerSecond, 0)} ops/s.`);
  }
  return lines;
}

function fmt(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v.toFixed(digits);
}
