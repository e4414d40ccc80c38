/**
 * The platform's alerts and dashboard (k8s/trx/files): `promtool test rules` passes on
 * k8s/monitoring/trx-alerts.test.yaml, every alert has a test case, and every metric the rules
 * and the dashboard query is one the apps export (a prom-client `name:` under apps/ or libs/)
 * or one k8s/monitoring/PENDING-METRICS.md lists — and no pending one is exported already.
 *
 * promtool comes from Debian's prometheus package (bash scripts/ensure-chart-tools.sh
 * installs it); without it the promtool test skips, the metric checks still run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../docker/test/app-config-keys';

const FILES = path.join(REPO_ROOT, 'k8s', 'trx', 'files');
const MONITORING = path.join(REPO_ROOT, 'k8s', 'monitoring');
const RULES_FILE = path.join(FILES, 'prometheus', 'trx-alerts.rules.yaml');
const RULES_TEST = path.join(MONITORING, 'trx-alerts.test.yaml');
const DASHBOARD = path.join(FILES, 'grafana', 'trx-dashboard.json');

type Rules = { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
const rules = parse(readFileSync(RULES_FILE, 'utf8')) as Rules;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', 'test'].includes(entry.name) ? [] : sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** Metric names the apps register with prom-client (`name: 'trx_...'` in a metric's options). */
export function exportedMetrics(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of ['apps', 'libs'].flatMap((dir) => sourceFiles(path.join(REPO_ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    if (!/from 'prom-client'/.test(text)) continue;
    for (const m of text.matchAll(
      /new (Counter|Gauge|Histogram|Summary)\b[^]*?name:\s*'([a-z_:][a-z0-9_:]*)'/g,
    )) {
      found.set(m[2] as string, m[1] as string);
    }
  }
  return found;
}

/** Names of the metric tables of PENDING-METRICS.md (first column, in backquotes). */
function pendingMetrics(): Set<string> {
  const text = readFileSync(path.join(MONITORING, 'PENDING-METRICS.md'), 'utf8');
  return new Set([...text.matchAll(/^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|/gm)].map((m) => m[1] as string));
}

const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'absent',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'label_values',
  'topk',
  'bottomk',
  'clamp_min',
  'clamp_max',
  'delta',
  'deriv',
  'time',
  'vector',
]);

/** Metric names in a PromQL expression: identifiers outside {...} and [...], not functions, keywords or labels. */
export function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1] as string);
  return names.filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n) && !n.startsWith('$'));
}

const exported = exportedMetrics();
const pending = pendingMetrics();
/** A name the apps export, one of a histogram's series (_bucket, _sum, _count), or a pending one. */
function known(name: string): boolean {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const histogram = ['Histogram', 'Summary'].includes(exported.get(base) ?? '');
  return exported.has(name) || (base !== name && histogram) || pending.has(name);
}

test('the parser finds the metrics the apps export', () => {
  expect([...exported.keys()]).toEqual(
    expect.arrayContaining([
      'trx_transactions_decided_total',
      'trx_decision_latency_seconds',
      'trx_participant_branch_duration_seconds',
    ]),
  );
  expect(metricsOf('histogram_quantile(0.95, sum by (job, le) (rate(x_seconds_bucket{a="b"}[5m])))')).toEqual(
    ['x_seconds_bucket'],
  );
  expect(known('trx_decision_latency_seconds_bucket')).toBe(true);
  expect(known('trx_outbox_backlog_bucket')).toBe(false);
  expect(metricsOf('max by (namespace, job) (trx_outbox_backlog) > 1000')).toEqual(['trx_outbox_backlog']);
});

test('every metric the alerts use is exported by the apps or listed in PENDING-METRICS.md', () => {
  const used = rules.groups.flatMap((g) => g.rules.flatMap((r) => metricsOf(r.expr)));
  expect(used.length).toBeGreaterThan(5);
  expect([...new Set(used)].filter((name) => !known(name))).toEqual([]);
});

test('every metric the dashboard uses is exported by the apps or listed in PENDING-METRICS.md', () => {
  const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsOf(t.expr)));
  expect(used).toEqual(
    expect.arrayContaining([
      'trx_transactions_decided_total',
      'trx_decision_latency_seconds_bucket',
      'trx_participant_branch_duration_seconds_bucket',
    ]),
  );
  expect([...new Set(used)].filter((name) => !known(name))).toEqual([]);
});

test('PENDING-METRICS.md lists nothing the apps export already (delete those rows)', () => {
  expect([...pending].filter((name) => exported.has(name))).toEqual([]);
});

test('every alert has a promtool test case', () => {
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean));
  const tested = readFileSync(RULES_TEST, 'utf8');
  expect(alerts.filter((alert) => !tested.includes(`alertname: ${alert}`))).toEqual([]);
});

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
(hasPromtool ? test : test.skip)(
  hasPromtool
    ? 'promtool test rules passes'
    : 'promtool test rules (skipped: no promtool; bash scripts/ensure-chart-tools.sh installs it)',
  () => {
    const check = spawnSync('promtool', ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS');
    const run = spawnSync('promtool', ['test', 'rules', RULES_TEST], { encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  },
);
