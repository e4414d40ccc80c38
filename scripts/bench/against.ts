/**
 * `npm run bench -- --against <git-ref>`: this build and another, measured in turns on the
 * same machine, so the ratio between them is not the drift between two hours (±20 % here).
 * The other ref is built in a worktree of its own (.trx/against/<sha>) and each round runs
 * both builds' own benchmark, one after the other, in alternating order (A B, B A, …): same
 * clients, same seed sizes, each build on databases and an exchange of its own so neither
 * sees the other's schema. The per-round numbers and their medians are printed and written to
 * bench/results/against-<sha>.md (and .json).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { BenchResults, StepResult } from './results';

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
      const run = spawnSync('npm', args, { cwd: build.dir, stdio: 'inherit', env });
      if (run.status !== 0) throw new Error(`the bench of ${build.name} failed (exit ${run.status})`);
      const results = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')) as BenchResults;
      samples.push({ round, build: build.name, steps: results.steps });
    }
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Per mode and concurrency: each round's rate and p99 for both builds, then the medians and their ratio. */
export function renderAgainst(builds: string[], samples: Sample[]): string {
  const keys = [...new Set(samples.flatMap((s) => s.steps.map((st) => `${st.mode} c=${st.concurrency}`)))];
  const lines = [
    `# ${builds[1]} against ${builds[0]}, measured in turns`,
    '',
    '| step | build | rounds: orders/s (p99 ms) | median orders/s | median p99 ms | CPU ms/order | switches/order |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  const medians = new Map<string, number>();
  for (const key of keys) {
    for (const build of builds) {
      const steps = samples
        .filter((s) => s.build === build)
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
      lines.push(
        `| ${key} | ${build} | ${rounds} | ${median(rates).toFixed(1)} | ${median(p99s).toFixed(0)} | ${cpu.toFixed(1)} | ${switches} |`,
      );
    }
  }
  lines.push(
    '',
    '| step | this build / other (median orders/s) | each round: this / other | median of the rounds |',
    '| --- | ---: | --- | ---: |',
  );
  for (const key of keys) {
    const ratio = medians.get(`${key} ${builds[1]}`)! / medians.get(`${key} ${builds[0]}`)!;
    const paired = roundRatios(samples, builds, key);
    const each = paired.map((r) => r.toFixed(2)).join(', ');
    lines.push(
      `| ${key} | ${ratio.toFixed(3)} | ${each} | ${paired.length ? median(paired).toFixed(3) : '–'} |`,
    );
  }
  return lines.join('\n');
}

/**
 * This build's rate over the other's, round by round: the two steps of a round ran minutes
 * apart (A B, then B A), so a ratio within a round leaves out most of the drift between
 * rounds (this VM's speed changed by ±20 % from one round to the next).
 */
export function roundRatios(samples: Sample[], builds: string[], key: string): number[] {
  const rate = (round: number, build: string) =>
    samples
      .find((s) => s.round === round && s.build === build)
      ?.steps.find((st) => `${st.mode} c=${st.concurrency}` === key)?.summary.rate;
  const rounds = [...new Set(samples.map((s) => s.round))].sort((a, b) => a - b);
  return rounds.flatMap((round) => {
    const other = rate(round, builds[0]!);
    const here = rate(round, builds[1]!);
    return other && here ? [here / other] : [];
  });
}
