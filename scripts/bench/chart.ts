import type { Mode } from './options';
import type { BenchResults } from './results';

/**
 * A hand-written SVG of a run: committed orders/s (linear) and p99 latency (log scale)
 * against concurrency, one line per mode. No chart library: lines, circles and text.
 */
const COLORS: Record<Mode, string> = {
  trx: '#d62728',
  baseline: '#1f77b4',
  local: '#2ca02c',
  coordinator: '#9467bd',
};
const PANEL = { width: 440, height: 310, left: 64, right: 16, top: 54, bottom: 44 };

interface Series {
  mode: Mode;
  points: { x: number; y: number }[];
}

export function renderChart(r: BenchResults): string {
  const xs = [...new Set(r.steps.map((s) => s.concurrency))].sort((a, b) => a - b);
  const series = (pick: (s: BenchResults['steps'][number]) => number): Series[] =>
    (['trx', 'baseline', 'local', 'coordinator'] as const)
      .map((mode) => ({
        mode,
        points: r.steps.filter((s) => s.mode === mode).map((s) => ({ x: s.concurrency, y: pick(s) })),
      }))
      .filter((s) => s.points.length > 0);
  const width = PANEL.width * 2 + 20;
  const height = PANEL.height + 70;
  const title = `trx bench: ${r.machine.cores} cores, ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC, ${r.options.durationS} s per point`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`,
    panel(
      0,
      'committed orders/s (log scale)',
      xs,
      series((s) => s.summary.rate),
      true,
    ),
    panel(
      PANEL.width + 20,
      'p99 latency, ms (log scale)',
      xs,
      series((s) => s.summary.p99),
      true,
    ),
    legend(
      width,
      height,
      series(() => 0).map((s) => s.mode),
    ),
    '</svg>',
    '',
  ].join('\n');
}

function panel(offsetX: number, label: string, xs: number[], data: Series[], log: boolean): string {
  const { width, height, left, right, top, bottom } = PANEL;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const values = data.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v > 0);
  const ticks = log ? logTicks(values) : linearTicks(Math.max(1, ...values));
  const [lo, hi] = [ticks[0]!, ticks[ticks.length - 1]!];
  const yOf = (v: number) => {
    const f = log
      ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
      : (v - lo) / (hi - lo);
    return top + plotH - f * plotH;
  };
  const xOf = (c: number) => left + (xs.length === 1 ? plotW / 2 : (xs.indexOf(c) / (xs.length - 1)) * plotW);
  const out = [`<g transform="translate(${offsetX},20)">`];
  out.push(
    `<text x="${left + plotW / 2}" y="${top - 12}" text-anchor="middle" font-weight="bold">${label}</text>`,
  );
  for (const t of ticks) {
    const y = yOf(t).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`);
  }
  for (const c of xs) {
    const x = xOf(c).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle">${c}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">concurrent clients</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  for (const s of data) {
    const pts = s.points.map((p) => `${xOf(p.x).toFixed(1)},${yOf(p.y).toFixed(1)}`);
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[s.mode]}" stroke-width="2"/>`);
    for (const p of s.points) {
      const [cx, cy] = [xOf(p.x).toFixed(1), yOf(p.y).toFixed(1)];
      out.push(
        `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${COLORS[s.mode]}"><title>${s.mode} c=${p.x}: ${p.y}</title></circle>`,
      );
      out.push(
        `<text x="${cx}" y="${Number(cy) - 7}" text-anchor="middle" font-size="10" fill="${COLORS[s.mode]}">${short(p.y)}</text>`,
      );
    }
  }
  out.push('</g>');
  return out.join('\n');
}

function legend(width: number, height: number, modes: Mode[]): string {
  const names: Record<Mode, string> = {
    trx: 'trx (2PC + coordinator)',
    baseline: 'baseline (same HTTP, local commits)',
    local: 'local (one Postgres transaction)',
    coordinator: 'coordinator alone',
  };
  const step = modes.length > 3 ? 200 : 240;
  const x0 = width / 2 - (modes.length * step) / 2;
  return modes
    .map((m, i) => {
      const x = x0 + i * step;
      return (
        `<line x1="${x}" x2="${x + 20}" y1="${height - 14}" y2="${height - 14}" stroke="${COLORS[m]}" stroke-width="3"/>` +
        `<text x="${x + 26}" y="${height - 10}">${names[m]}</text>`
      );
    })
    .join('\n');
}

/** 0 and about five round steps up to the largest value. */
export function linearTicks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
  const ticks = [];
  for (let v = 0; v < max + step; v += step) ticks.push(Math.round(v * 1000) / 1000);
  return ticks;
}

/** 1-2-5 steps (or powers of ten when the values span many decades) from below the smallest value to above the largest. */
export function logTicks(values: number[]): number[] {
  const positive = values.filter((v) => v > 0);
  const min = positive.length ? Math.min(...positive) : 1;
  const max = positive.length ? Math.max(...positive) : 10;
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const factors = hi - lo <= 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const f of factors) ticks.push(Number((f * 10 ** e).toPrecision(3)));
  }
  // trim to one tick below the smallest and one above the largest value
  const first = Math.max(0, ticks.findIndex((t) => t > min) - 1);
  const lastAbove = ticks.findIndex((t) => t >= max);
  const last = lastAbove < 0 ? ticks.length - 1 : lastAbove;
  const kept = ticks.slice(first, last + 1);
  return kept.length > 1 ? kept : [kept[0]!, kept[0]! * 10];
}

function short(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
