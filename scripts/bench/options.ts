/**
 * Command-line options of `npm run bench`, parsed by node:util parseArgs: every option is
 * `--name value` or `--name=value`; flags take no value; anything unknown is a UsageError.
 */
import { parseArgs } from 'node:util';
import { parseCommandLine, UsageError, type ArgOptions } from '../local/command-line';
import type { AgainstOptions } from './against';

export { UsageError };

export const MODES = ['trx', 'baseline', 'local', 'coordinator'] as const;
export type Mode = (typeof MODES)[number];
/** `coordinator` (the transaction-server alone) is a diagnostic mode, run only when asked for. */
export const DEFAULT_MODES: readonly Mode[] = ['trx', 'baseline', 'local'];

export interface BenchOptions {
  /** Seconds measured per mode and concurrency. */
  durationS: number;
  concurrency: number[];
  modes: Mode[];
  /** Seconds of unmeasured load before a mode's first step. */
  warmupS: number;
  /** Directory the JSON, SVG and Markdown results go to. */
  out: string;
  /** order-service of a running platform; empty: start one with scripts/up.sh and stop it after. */
  url: string;
  /** Products and customers the load is spread over (1 = one hot row). */
  rows: number;
  quantity: number;
  /** Postgres server of the platform (seeding, the local mode, probes), without a database name. */
  pgUrl: string;
  /** Databases are `<prefix>_coordinator`, `_order`, `_account`, `_product`; the bench's own is `<prefix>_bench`. */
  dbPrefix: string;
  /** The services' URLs (metrics, the coordinator mode); the order-service's is --url when given. */
  services: Record<string, string>;
  /** The platform's TRX_EXCHANGE (the coordinator mode deletes the decision queue it caused). */
  exchange: string;
  /** LOG_LEVEL given to the services started by the bench; empty: inherited. */
  logLevel: string;
  /** Measure commit vs prepare + commit prepared and the fsync rate. */
  pgCost: boolean;
  /** Seed the products and accounts directly in the services' databases (off: they must exist). */
  seed: boolean;
  /** Profile the services (V8 CPU profiler, preloaded) and summarise where their CPU went (best with one mode and concurrency). */
  profile: boolean;
  /** Scripts that start and stop the services (scripts/up.sh, scripts/down.sh). */
  upScript: string;
  downScript: string;
  /** Leave the platform running after the run. */
  keepUp: boolean;
  quick: boolean;
}

export const HELP = `npm run bench -- [options]
  --duration <s>          seconds per mode and concurrency (15; --quick: 3)
  --concurrency 1,4,16,64 closed-loop clients (--quick: 1,4)
  --modes trx,baseline,local   (also: coordinator = the transaction-server alone, diagnostic)
  --warmup <s>            unmeasured load before a mode's first step (3; --quick: 1)
  --out <dir>             results directory (bench/results; --quick: bench/results/tmp)
  --url <url>             order-service of a running platform (default: start one with scripts/up.sh)
  --rows <n>              products and customers to spread the load over (1000; 1 = one hot row)
  --quantity <n>          items per order (1)
  --pg-url <url>          Postgres server, no database (postgres://postgres@127.0.0.1:5432)
  --db-prefix <p>         databases <p>_coordinator, <p>_order, <p>_account, <p>_product, <p>_bench (trx)
  --services <map>        name=url,... of the services for /metrics and the coordinator mode
                          (transaction-server=http://127.0.0.1:8888,order-service=...:8080,...)
  --exchange <name>       the platform's TRX_EXCHANGE (trx-events)
  --log-level <level>     LOG_LEVEL of the services the bench starts (inherited)
  --no-seed               do not write the bench's products and accounts into trx_product / trx_account
                          (a platform whose databases the bench cannot reach must already have them)
  --no-pg-cost            skip the commit vs prepare+commit-prepared probe (skipped by --quick)
  --profile               profile the services' CPU (V8 profiler); report it by package and function
                          (the profile covers the whole run: use it with one mode and one concurrency)
  --up-script <path>      starts the services (scripts/up.sh); gets ORDER_BASELINE_MODE, LOG_LEVEL,
  --down-script <path>    NODE_OPTIONS in its environment; stops them (scripts/down.sh)
  --keep-up               leave the platform running
  --quick                 a smoke test under a minute: fails only on errors or a crash
  --soak <minutes>        steady trx load (--concurrency, default 16) with retention set short; every minute
                          throughput, p99 and every protocol table's rows, to bench/results/soak-<stamp>.md
  --against <ref> [--rounds 3]   this build and <ref>'s, each with its own bench and databases,
                          in turns (A B, B A, ...); medians and ratios to bench/results/against-<sha>.md`;

/** What one command line asks for: the benchmark, a diagnostic run, or two builds in turns. */
export type BenchCommand =
  | { run: 'bench'; options: BenchOptions }
  | { run: 'soak'; options: BenchOptions; minutes: number }
  | { run: 'against'; against: AgainstOptions };

/** The arguments parseArgs knows; `--name value`, `--name=value`, flags take no value. */
const ARGS = {
  duration: { type: 'string' },
  concurrency: { type: 'string' },
  modes: { type: 'string' },
  warmup: { type: 'string' },
  out: { type: 'string' },
  url: { type: 'string' },
  rows: { type: 'string' },
  quantity: { type: 'string' },
  'pg-url': { type: 'string' },
  'log-level': { type: 'string' },
  'db-prefix': { type: 'string' },
  exchange: { type: 'string' },
  services: { type: 'string' },
  'up-script': { type: 'string' },
  'down-script': { type: 'string' },
  soak: { type: 'string' },
  against: { type: 'string' },
  rounds: { type: 'string' },
  quick: { type: 'boolean' },
  'keep-up': { type: 'boolean' },
  'no-pg-cost': { type: 'boolean' },
  'no-seed': { type: 'boolean' },
  profile: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ArgOptions;

type Values = ReturnType<typeof readArgs>['values'];

export function parseCommand(argv: string[]): BenchCommand {
  const { values, tokens } = readArgs(argv);
  const options = benchOptions(values);
  if (values.against !== undefined) return { run: 'against', against: againstOptions(argv, values, tokens) };
  if (values.rounds !== undefined) throw new UsageError('--rounds goes with --against');
  if (values.soak === undefined) return { run: 'bench', options };
  const minutes = Number(values.soak);
  if (!Number.isInteger(minutes) || minutes < 1) throw new UsageError('--soak needs a number of minutes');
  return { run: 'soak', options, minutes };
}

/** The options of one benchmark run (the rest of the command line is checked too). */
export function parseOptions(argv: string[]): BenchOptions {
  return benchOptions(readArgs(argv).values);
}

function readArgs(argv: string[]) {
  return parseCommandLine(() => parseArgs({ args: argv, options: ARGS, strict: true, tokens: true }));
}

function benchOptions(raw: Values): BenchOptions {
  const quick = raw.quick === true;
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const concurrency = list(raw.concurrency ?? (quick ? '1,4' : '1,4,16,64')).map((v) =>
    positiveInt('concurrency', v),
  );
  const modes = list(raw.modes ?? DEFAULT_MODES.join(',')).map((m) => {
    if (!(MODES as readonly string[]).includes(m)) throw new UsageError(`unknown mode ${m}: use ${MODES}`);
    return m as Mode;
  });
  if (raw.profile && raw.url !== undefined)
    throw new UsageError('--profile needs the bench to start the services: drop --url');
  return {
    durationS: positiveNumber('duration', raw.duration ?? (quick ? '3' : '15')),
    concurrency,
    modes,
    warmupS: nonNegative('warmup', raw.warmup ?? (quick ? '1' : '3')),
    out: raw.out ?? (quick ? 'bench/results/tmp' : 'bench/results'),
    url: (raw.url ?? '').replace(/\/+$/, ''),
    rows: positiveInt('rows', raw.rows ?? '1000'),
    quantity: positiveInt('quantity', raw.quantity ?? '1'),
    pgUrl: (raw['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
    logLevel: raw['log-level'] ?? '',
    dbPrefix: raw['db-prefix'] ?? 'trx',
    exchange: raw.exchange ?? 'trx-events',
    services: { ...DEFAULT_SERVICES, ...parseServiceMap(raw.services ?? '') },
    pgCost: !quick && !raw['no-pg-cost'],
    seed: !raw['no-seed'],
    profile: raw.profile === true,
    upScript: raw['up-script'] ?? 'scripts/up.sh',
    downScript: raw['down-script'] ?? 'scripts/down.sh',
    keepUp: raw['keep-up'] === true,
    quick,
  };
}

/**
 * `--against <ref> [--rounds n]`: every other argument goes, as written, to each build's own
 * bench (an older build may not know this build's defaults), with `--no-pg-cost` in front.
 */
function againstOptions(
  argv: string[],
  values: Values,
  tokens: ReturnType<typeof readArgs>['tokens'],
): AgainstOptions {
  const ref = values.against ?? '';
  if (!ref) throw new UsageError('--against needs a git ref');
  const rounds = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError('--rounds must be a positive integer');
  const own = new Set<number>();
  for (const t of tokens) {
    if (t.kind !== 'option' || (t.name !== 'against' && t.name !== 'rounds')) continue;
    own.add(t.index);
    if (!t.inlineValue) own.add(t.index + 1);
  }
  const benchArgs = argv.filter((_, i) => !own.has(i));
  return { ref, rounds, benchArgs: ['--no-pg-cost', ...benchArgs], out: 'bench/results' };
}

export const DEFAULT_SERVICES: Readonly<Record<string, string>> = {
  'transaction-server': 'http://127.0.0.1:8888',
  'order-service': 'http://127.0.0.1:8080',
  'account-service': 'http://127.0.0.1:8081',
  'product-service': 'http://127.0.0.1:8082',
};

function parseServiceMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(',').filter(Boolean)) {
    const [name, url] = entry.split(/=(.*)/s, 2);
    if (!name || !url) throw new UsageError(`--services wants name=url,..., got ${entry}`);
    out[name.trim()] = url.trim().replace(/\/+$/, '');
  }
  return out;
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${v}`);
  return n;
}

function nonNegative(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be >= 0, got ${v}`);
  return n;
}

function positiveInt(name: string, v: string): number {
  const n = positiveNumber(name, v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got ${v}`);
  return n;
}
