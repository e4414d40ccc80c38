/**
 * Where the time goes inside the services: every histogram and summary the services
 * export on /metrics (prom-client) is scraped before and after a step, and the step's
 * share — calls and mean duration — is kept. Names are whatever the services export, so
 * the bench needs no change when a service adds a metric.
 */
export type MetricSample = Record<string, Map<string, { sum: number; count: number }>>;

export interface MetricRow {
  service: string;
  metric: string;
  labels: string;
  count: number;
  /** Mean duration in ms (for metrics in seconds) or the mean value otherwise. */
  mean: number;
  /** Total in ms (or value units) spent in the step. */
  total: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_(sum|count)(\{[^}]*\})?\s+(\S+)/;

export async function sampleMetrics(services: Record<string, string>): Promise<MetricSample> {
  const out: MetricSample = {};
  await Promise.all(
    Object.entries(services).map(async ([service, url]) => {
      try {
        const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
        if (res.ok) out[service] = parseMetrics(await res.text());
      } catch {
        // a service without /metrics (or down) leaves no sample; the step is not about it
      }
    }),
  );
  return out;
}

export function parseMetrics(text: string): Map<string, { sum: number; count: number }> {
  const series = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const key = `${m[1]}${m[3] ?? ''}`;
    const entry = series.get(key) ?? { sum: 0, count: 0 };
    entry[m[2] as 'sum' | 'count'] = Number(m[4]);
    series.set(key, entry);
  }
  return series;
}

/** The series that moved during the step, the most time first. */
export function metricsBetween(a: MetricSample, b: MetricSample, limit = 25): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const [service, after] of Object.entries(b)) {
    const before = a[service] ?? new Map();
    for (const [key, v] of after) {
      const count = v.count - (before.get(key)?.count ?? 0);
      if (!(count > 0)) continue;
      const brace = key.indexOf('{');
      const metric = brace < 0 ? key : key.slice(0, brace);
      const scale = /seconds/.test(metric) ? 1000 : 1;
      const total = (v.sum - (before.get(key)?.sum ?? 0)) * scale;
      rows.push({
        service,
        metric,
        labels: brace < 0 ? '' : key.slice(brace),
        count,
        mean: round(total / count),
        total: round(total),
      });
    }
  }
  return rows.sort((x, y) => y.total - x.total).slice(0, limit);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
