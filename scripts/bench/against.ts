/**
 * `npm run bench -- --against <git-ref>`: this build and another, measured in turns on the
 * same machine, so the ratio between them is not the drift between two hours (±20 % here).
 * The other ref is built in a worktree of its own (.trx/against/<sha>) and each round runs
 * both builds' own benchmark, one after the other, in alternating order (A B, B A, …): same
 * clients, same seed sizes, each build on databases and an exchange of its own so neither
 * sees the other's schema. A speed probe runs throughout (./speed-probe.ts), so each step also
 * says how fast the machine was meanwhile. The per-round numbers and their medians are printed
 * and written to bench/results/against-<sha>.md (and .json).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import type { BenchResults, StepResult } from './results';
import { probeMsBetween, startSpeedProbe, type SpeedProbe } from './speed-probe';
import { median } from './stats';

export interface AgainstOptions {
  ref: string;
  rounds: number;
  /** Arguments for each build's own `npm run bench` (modes, concurrency, duration...). */
  benchArgs: string[];
  out: string;
}

interface Build {
  name: string;
  dir: string;
  /** Extra bench arguments that keep this build's databases apart. */
  args: string[];
}

export interface Sample {
  round: number;
  build: string;
  steps: StepResult[];
  /**
   * The speed probe's median CPU ms during each step, by `<mode> c=<concurrency>` (absent in
   * comparisons from before 2026-12-03's ninth round).
   */
  probeMs?: Record<string, number>;
}

const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

export async function runAgainst(o: AgainstOptions, repoRoot: string): Promise<number> {
  const sha = sh('git', ['rev-parse', '--verify', `${o.ref}^{commit}`], repoRoot);
  const here = sh('git', ['rev-parse', '--short', 'HEAD'], repoRoot);
  const other = prepareWorktree(repoRoot, sha);
  await dropAgainstDatabases(pgServerOf(o.benchArgs), [OTHER, THIS]);
  const builds: Build[] = [
    { name: `${o.ref} (${sha.slice(0, 7)})`, dir: other, args: buildArgs(other, repoRoot, OTHER) },
    { name: `this build (${here})`, dir: repoRoot, args: buildArgs(repoRoot, repoRoot, THIS) },
  ];
  const samples: Sample[] = [];
  const probe = startSpeedProbe();
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 === 1 ? builds : [...builds].reverse();
      for (const build of order) {
        const out = path.join(
          repoRoot,
          '.trx',
          'against',
          'runs',
          `${round}-${build === builds[0] ? 'other' : 'this'}`,
        );
        console.log(`[against] round ${round}/${o.rounds}: ${build.name}`);
        // Both builds use this checkout's local secrets (a build with credentials reads them there).
        const env = { ...process.env, TRX_SECRETS_DIR: path.join(repoRoot, '.trx') };
        const args = ['run', '-s', 'bench', '--', ...o.benchArgs, ...build.args, '--out', out];
        const ends = await runBench(build, args, env);
        const results = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')) as BenchResults;
        samples.push({
          round,
          build: build.name,
          steps: results.steps,
          probeMs: probeMsOf(results.steps, ends, probe),
        });
      }
    }
  } finally {
    probe.stop();
  }
  const report = renderAgainst(
    builds.map((b) => b.name),
    samples,
  );
  console.log(`\n${report}`);
  mkdirSync(path.join(repoRoot, o.out), { recursive: true });
  const base = path.join(repoRoot, o.out, `against-${sha.slice(0, 7)}`);
  writeFileSync(`${base}.md`, `${report}\n`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ ref: o.ref, sha, here, samples }, null, 2)}\n`);
  console.log(`[against] results: ${path.relative(repoRoot, base)}.md, .json`);
  return 0;
}

/**
 * One build's own bench, its output passed through; resolves with when each step ended, by
 * `<mode> c=<concurrency>`, from the line every build's bench prints as a step ends
 * ("[bench] trx c=16: 72.3 orders/s, ...").
 */
function runBench(build: Build, args: string[], env: NodeJS.ProcessEnv): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  const child = spawn('npm', args, { cwd: build.dir, stdio: ['ignore', 'pipe', 'inherit'], env });
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    const end = STEP_END.exec(line);
    if (end) ends.set(`${end[1]} c=${end[2]}`, Date.now());
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(ends);
      else reject(new Error(`the bench of ${build.name} failed (exit ${code})`));
    });
  });
}

const STEP_END = /^\[bench\] ([a-z]+) c=(\d+): /;

/** The probe's median over each measured step: the `durationS` before its end line. */
function probeMsOf(
  steps: StepResult[],
  ends: Map<string, number>,
  probe: SpeedProbe,
): Record<string, number> {
  const probeMs: Record<string, number> = {};
  for (const st of steps) {
    const key = `${st.mode} c=${st.concurrency}`;
    const end = ends.get(key);
    const ms = end === undefined ? undefined : probeMsBetween(probe.samples, end - st.durationS * 1000, end);
    if (ms !== undefined) probeMs[key] = ms;
  }
  return probeMs;
}

/** A worktree of `sha`, with its packages installed and built (kept for the next run). */
function prepareWorktree(repoRoot: string, sha: string): string {
  const dir = path.join(repoRoot, '.trx', 'against', sha.slice(0, 12));
  if (!existsSync(dir)) sh('git', ['worktree', 'add', '--detach', dir, sha], repoRoot);
  console.log(`[against] installing and building ${sha.slice(0, 7)} in ${path.relative(repoRoot, dir)}`);
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  sh('npx', ['tsc', '-b', 'tsconfig.build.json'], dir);
  return dir;
}

/** Where one build of a comparison runs: databases `<prefix>_*` and an exchange of its own. */
interface Place {
  prefix: string;
  exchange: string;
}

const OTHER: Place = { prefix: 'trx_against', exchange: 'trx-events-against' };
/**
 * This build runs apart from this checkout's own databases too, on new ones: both builds start
 * a comparison on empty tables, and grow them alike. On the databases of earlier runs (200 000
 * branches after a day's benches) this build paid for their size, the other build not.
 */
const THIS: Place = { prefix: 'trx_against_this', exchange: 'trx-events-against-this' };

/**
 * A build runs on the databases `<prefix>_*` and its exchange. A build from before the
 * credentials (no scripts/local/credentials.ts) connects as the admin user, as it did then; a
 * newer one gets its own roles' databases (scripts/infra/postgres-roles.sh makes them owned by
 * them).
 */
function buildArgs(dir: string, repoRoot: string, place: Place): string[] {
  const upScript = path.join(dir, '.trx', `${place.prefix}-up.sh`);
  mkdirSync(path.dirname(upScript), { recursive: true });
  const withCredentials = existsSync(path.join(dir, 'scripts', 'local', 'credentials.ts'));
  if (withCredentials) {
    // From this checkout: its secrets, and its grants for the build's exchange.
    const databases = againstDatabases(place).map(([db, , role]) => `${db}:${role}`);
    execFileSync('bash', ['scripts/infra/postgres-roles.sh', ...databases], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    execFileSync('bash', ['scripts/infra/rabbitmq-users.sh', place.exchange], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
  }
  writeFileSync(upScript, upScriptFor(withCredentials, place), { mode: 0o755 });
  return ['--db-prefix', place.prefix, '--exchange', place.exchange, '--up-script', upScript];
}

/** The Postgres server the benches use (their `--pg-url`), no database. */
function pgServerOf(benchArgs: string[]): string {
  const i = benchArgs.indexOf('--pg-url');
  return (i >= 0 ? benchArgs[i + 1]! : 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
}

/**
 * Every comparison starts both builds on new databases: the other build's are shared by
 * comparisons with different refs, and a newer build's migrations (a function replaced, a
 * column added) would leave an older build's schema half-changed under names it counts as
 * applied; this build's would hold the rows of earlier comparisons. A prepared transaction a
 * killed run left in one would keep DROP DATABASE from running, so those are rolled back first.
 */
async function dropAgainstDatabases(server: string, places: Place[]): Promise<void> {
  const admin = new Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    for (const [db] of places.flatMap(againstDatabases)) {
      const { rows } = await admin.query<{ gid: string }>(
        'SELECT gid FROM pg_prepared_xacts WHERE database = $1',
        [db],
      );
      if (rows.length > 0)
        await rollbackPrepared(
          `${server}/${db}`,
          rows.map((r) => r.gid),
        );
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

async function rollbackPrepared(url: string, gids: string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const gid of gids) await client.query(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`);
  } finally {
    await client.end();
  }
}

/** A build's databases: each app's, and the role that owns it. */
function againstDatabases(place: Place): [database: string, app: string, role: string][] {
  return [
    [`${place.prefix}_coordinator`, 'transaction-server', 'trx_coordinator'],
    [`${place.prefix}_order`, 'order-service', 'trx_order'],
    [`${place.prefix}_account`, 'account-service', 'trx_account'],
    [`${place.prefix}_product`, 'product-service', 'trx_product'],
  ];
}

/**
 * What a build's scripts/up.sh does, with each app on a database of its own (up.sh gives every
 * app the same environment, so it can't move one app's database alone).
 */
function upScriptFor(withCredentials: boolean, place: Place): string {
  const apps = againstDatabases(place)
    .map(([db, app]) => `${app}:${db}`)
    .join(' ');
  return `#!/usr/bin/env bash
# Generated by scripts/bench/against.ts: starts this build's apps on databases of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
mkdir -p .trx/logs .trx/run
bash scripts/down.sh --quiet
export TRX_EXCHANGE=${place.exchange}
ports=(transaction-server:8888 product-service:8082 account-service:8081 order-service:8080)
for entry in ${apps}; do
  app=\${entry%%:*}; db=\${entry##*:}
  (
    ${withCredentials ? 'eval "$(node --conditions=trx-source -r ts-node/register/transpile-only scripts/local/credentials.ts env "$app")"' : ':'}
    base=\${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    export DATABASE_URL="\${base%/*}/$db"
    exec nohup node "apps/$app/dist/main.js" >>".trx/logs/$app.log" 2>&1
  ) &
  echo $! >".trx/run/$app.pid"
done
for entry in "\${ports[@]}"; do
  for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:\${entry##*:}/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
done
`;
}

/**
 * Per mode and concurrency: each round's rate and p99 for both builds, the medians and their
 * ratio, and the machine's speed while each ran (the probe's median CPU ms; higher is slower).
 */
export function renderAgainst(builds: string[], samples: Sample[]): string {
  const keys = [...new Set(samples.flatMap((s) => s.steps.map((st) => `${st.mode} c=${st.concurrency}`)))];
  const lines = [
    `# ${builds[1]} against ${builds[0]}, measured in turns`,
    '',
    '| step | build | rounds: orders/s (p99 ms) | median orders/s | median p99 ms | CPU ms/order | switches/order | probe ms each round |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  const medians = new Map<string, number>();
  for (const key of keys) {
    for (const build of builds) {
      const runs = samples.filter((s) => s.build === build);
      const steps = runs
        .map((s) => s.steps.find((st) => `${st.mode} c=${st.concurrency}` === key))
        .filter((st): st is NonNullable<typeof st> => st !== undefined);
      const rates = steps.map((st) => st.summary.rate);
      const p99s = steps.map((st) => st.summary.p99);
      medians.set(`${key} ${build}`, median(rates));
      const rounds = steps
        .map((st) => `${st.summary.rate.toFixed(1)} (${st.summary.p99.toFixed(0)})`)
        .join(', ');
      const cpu = median(steps.map((st) => st.cpu.totalMsPerOrder));
      // A build's bench from before the count was added does not report it.
      const counted = steps.flatMap((st) =>
        st.cpu.switchesPerOrder === undefined ? [] : [st.cpu.switchesPerOrder],
      );
      const switches =
        counted.length === steps.length && counted.length > 0 ? median(counted).toFixed(1) : '–';
      const probed = runs.map((s) => s.probeMs?.[key]?.toFixed(1) ?? '–').join(', ');
      lines.push(
        `| ${key} | ${build} | ${rounds} | ${median(rates).toFixed(1)} | ${median(p99s).toFixed(0)} | ${cpu.toFixed(1)} | ${switches} | ${probed} |`,
      );
    }
  }
  lines.push(
    '',
    '| step | this build / other (median orders/s) | each round: this / other | median of the rounds | each round, speed-adjusted | median, speed-adjusted |',
    '| --- | ---: | --- | ---: | --- | ---: |',
  );
  for (const key of keys) {
    const ratio = medians.get(`${key} ${builds[1]}`)! / medians.get(`${key} ${builds[0]}`)!;
    const paired = roundRatios(samples, builds, key);
    const adjusted = roundRatios(samples, builds, key, true);
    const list = (xs: number[]) => (xs.length ? xs.map((r) => r.toFixed(2)).join(', ') : '–');
    const mid = (xs: number[]) => (xs.length ? median(xs).toFixed(3) : '–');
    lines.push(
      `| ${key} | ${ratio.toFixed(3)} | ${list(paired)} | ${mid(paired)} | ${list(adjusted)} | ${mid(adjusted)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * This build's rate over the other's, round by round: the two steps of a round ran minutes
 * apart (A B, then B A), so a ratio within a round leaves out most of the drift between
 * rounds (this VM's speed changed by ±20 % from one round to the next).
 *
 * `speedAdjusted`: each rate times the probe's CPU ms during its step, i.e. as if the machine had
 * been equally fast for both steps. At 16 clients and up both builds keep the cores busy, so
 * a step's rate is the cores over its CPU per order, and that CPU grows with the probe's;
 * rounds without a probe time for both steps are left out.
 */
export function roundRatios(
  samples: Sample[],
  builds: string[],
  key: string,
  speedAdjusted = false,
): number[] {
  const rate = (round: number, build: string) => {
    const sample = samples.find((s) => s.round === round && s.build === build);
    const measured = sample?.steps.find((st) => `${st.mode} c=${st.concurrency}` === key)?.summary.rate;
    if (!speedAdjusted || measured === undefined) return measured;
    const probeMs = sample?.probeMs?.[key];
    return probeMs === undefined ? undefined : measured * probeMs;
  };
  const rounds = [...new Set(samples.map((s) => s.round))].sort((a, b) => a - b);
  return rounds.flatMap((round) => {
    const other = rate(round, builds[0]!);
    const here = rate(round, builds[1]!);
    return other && here ? [here / other] : [];
  });
}
