/**
 * `npm run bench -- --soak <minutes>`: steady trx load for a long time with retention set
 * short, to see that nothing grows without bound and nothing slows down. Every minute it
 * records throughput, p99, errors, and the size of every protocol table (the coordinator's
 * transactions, branches and outbox; the order-service's outbox and Idempotency-Keys; each
 * participant's trx_branch; prepared transactions). Business records (orders, withdrawals,
 * reservations) grow by design and are shown for contrast. Results: bench/results/soak-<stamp>.md/.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { runClosedLoop } from '../load-driver';
import { log } from '../log';
import type { BenchOptions } from '../options';
import { customerTokens, OrderClient } from '../order-client';
import { startPlatform, stopPlatform } from '../platform';
import { seedAccounts, seedPlan, seedProducts } from '../seed';
import type { StepSummary } from '../stats';

/**
 * Retention short enough to cycle many times in a soak: the decision window is
 * 15 s + 2 + 4 + 4 + 4 + 4 s = 33 s, retention at least twice that (docs/architecture.md, "Retention").
 */
export const SOAK_ENV: Record<string, string> = {
  TRX_MAX_TIMEOUT_MS: '15000',
  TRX_REPUBLISH_AFTER_MS: '2000',
  TRX_REPUBLISH_MAX_MS: '4000',
  TRX_REPUBLISH_MAX_ATTEMPTS: '4',
  TRX_DECISION_WINDOW_MS: '33000',
  TRX_RETENTION_MS: '90000',
  TRX_RETENTION_INTERVAL_MS: '15000',
};

/** What is counted each minute: database suffix → tables. */
const TABLES: Record<string, { protocol: string[]; business: string[] }> = {
  coordinator: { protocol: ['trx_transaction', 'trx_branch', 'trx_outbox'], business: [] },
  order: { protocol: ['outbox', 'idempotency_keys', 'trx_branch'], business: ['orders'] },
  account: { protocol: ['trx_branch'], business: ['withdrawals'] },
  product: { protocol: ['trx_branch'], business: ['reservations'] },
};

interface Minute {
  minute: number;
  summary: Pick<StepSummary, 'committed' | 'rate' | 'p50' | 'p99' | 'errors' | 'errorKinds'>;
  rows: Record<string, number>;
  prepared: number;
  databaseMb: number;
}

export async function runSoak(o: BenchOptions, minutes: number, repoRoot: string): Promise<number> {
  const concurrency = o.concurrency.length === 1 ? o.concurrency[0]! : 16;
  log(`soak: ${minutes} min of trx at ${concurrency} clients, retention ${SOAK_ENV.TRX_RETENTION_MS} ms`);
  await startPlatform(repoRoot, { logLevel: o.logLevel || 'warn', upScript: o.upScript, env: SOAK_ENV });
  const minutesSeen: Minute[] = [];
  try {
    const seed = seedPlan(o.rows);
    await seedProducts(`${o.pgUrl}/${o.dbPrefix}_product`, seed);
    await seedAccounts(`${o.pgUrl}/${o.dbPrefix}_account`, seed);
    const tokens = await customerTokens(seed);
    const url = o.url || o.services['order-service']!;
    const client = new OrderClient({
      url,
      concurrency,
      baseline: false,
      seed,
      quantity: 1,
      tokens,
      idempotencyKeys: true,
    });
    for (let minute = 1; minute <= minutes; minute++) {
      let line = 0;
      const summary = await runClosedLoop({
        label: `soak ${minute}/${minutes}`,
        concurrency,
        durationMs: 60_000,
        operationFor: () => client.operation(),
        print: (text) => void (line++ % 15 === 0 && process.stdout.write(`${text}\n`)),
      });
      const sizes = await measure(o);
      minutesSeen.push({ minute, summary: pick(summary), ...sizes });
      log(
        `minute ${minute}: ${summary.rate.toFixed(1)}/s p99 ${summary.p99.toFixed(0)} ms, ${JSON.stringify(sizes.rows)}`,
      );
    }
    client.close();
  } finally {
    await stopPlatform(repoRoot, o.downScript);
  }
  const report = renderSoak(minutesSeen, concurrency);
  console.log(`\n${report}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(repoRoot, o.quick ? 'bench/results/tmp' : 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `soak-${stamp}.md`), `${report}\n`);
  writeFileSync(
    path.join(dir, `soak-${stamp}.json`),
    `${JSON.stringify({ env: SOAK_ENV, concurrency, minutes: minutesSeen }, null, 2)}\n`,
  );
  return minutesSeen.some((m) => m.summary.errors > 0) ? 1 : 0;
}

function pick(s: StepSummary): Minute['summary'] {
  return {
    committed: s.committed,
    rate: s.rate,
    p50: s.p50,
    p99: s.p99,
    errors: s.errors,
    errorKinds: s.errorKinds,
  };
}

async function measure(o: BenchOptions): Promise<Omit<Minute, 'minute' | 'summary'>> {
  const rows: Record<string, number> = {};
  let prepared = 0;
  let databaseMb = 0;
  for (const [suffix, tables] of Object.entries(TABLES)) {
    const db = new Client({ connectionString: `${o.pgUrl}/${o.dbPrefix}_${suffix}` });
    await db.connect();
    try {
      for (const table of [...tables.protocol, ...tables.business]) {
        const { rows: r } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        rows[`${suffix}.${table}`] = Number(r[0]!.n);
      }
      const { rows: p } = await db.query<{ n: string; mb: string }>(
        `SELECT (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()) AS n,
                pg_database_size(current_database()) / 1048576.0 AS mb`,
      );
      prepared += Number(p[0]!.n);
      databaseMb += Number(p[0]!.mb);
    } finally {
      await db.end();
    }
  }
  return { rows, prepared, databaseMb: Math.round(databaseMb * 10) / 10 };
}

/** Minute by minute: throughput and latency, then every table's rows (protocol tables first). */
export function renderSoak(minutes: Minute[], concurrency: number): string {
  const protocol = Object.entries(TABLES).flatMap(([s, t]) => t.protocol.map((n) => `${s}.${n}`));
  const business = Object.entries(TABLES).flatMap(([s, t]) => t.business.map((n) => `${s}.${n}`));
  const columns = [...protocol, 'prepared', ...business, 'MB'];
  const head = ['min', 'orders/s', 'p50 ms', 'p99 ms', 'errors', ...columns];
  const lines = [
    `# Soak: trx at ${concurrency} clients, retention ${Number(SOAK_ENV.TRX_RETENTION_MS) / 1000} s`,
    '',
    `Settings: ${Object.entries(SOAK_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}.`,
    'Protocol tables (before `prepared`) must stay flat; business records grow by design.',
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---:').join(' | ')} |`,
  ];
  for (const m of minutes) {
    const cells = [
      m.minute,
      m.summary.rate.toFixed(1),
      m.summary.p50.toFixed(0),
      m.summary.p99.toFixed(0),
      m.summary.errors,
      ...protocol.map((c) => m.rows[c] ?? 0),
      m.prepared,
      ...business.map((c) => m.rows[c] ?? 0),
      m.databaseMb,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
