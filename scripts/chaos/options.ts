/**
 * The chaos run's options and their command-line form. Defaults aim at the issue's
 * "at least 3 minutes" run on a 2-core machine; --quick is the CI profile.
 */
import { parseArgs } from 'node:util';
import { parseCommandLine, UsageError, type ArgOptions } from '../local/command-line';
import { BROKER_VHOST, credentialEnv, readSecrets } from '../local/credentials';
import { randomSeed } from './prng';

export const FAULT_KINDS = [
  'kill-coordinator',
  'kill-participant',
  'kill-order',
  'rabbitmq',
  'postgres',
  'pause',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The fault model; `pause` (SIGSTOP/SIGCONT, a stalled process) is opt-in. */
const DEFAULT_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'pause');

/** Short names accepted by --faults besides the kinds themselves. */
const FAULT_ALIASES: Record<string, readonly FaultKind[]> = {
  all: DEFAULT_FAULTS,
  kill: ['kill-coordinator', 'kill-participant', 'kill-order'],
  broker: ['rabbitmq'],
  db: ['postgres'],
};

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  concurrency: number;
  faults: FaultKind[];
  /** Upper bound on the number of faults; each kind of `faults` is injected at least once when it fits. */
  maxFaults: number;
  /** Bound on the wait for recovery after the load stops. */
  recoveryTimeoutMs: number;
  /** A client request slower than this is a hang (the order's transaction timeout plus grace). */
  requestTimeoutMs: number;
  build: boolean;
  /** Keep the platform running after the report (for poking at it); Ctrl-C stops it. */
  keep: boolean;
  logLevel: string;
  pgAdminUrl: string;
  amqpUrl: string;
  /** Prefix of the run's databases and name of its exchange; never a developer's. */
  namespace: string;
  /** Where logs and the report go. */
  outDir: string;
  quick: boolean;
}

export const USAGE = `usage: npm run chaos -- [options]
  --duration <s>       load duration in seconds (default 180; --quick: 75)
  --seed <n>           PRNG seed; a run is repeatable by it (default: random, printed)
  --faults <list>      comma list of ${FAULT_KINDS.join(', ')}
                       or kill, broker, db, all (default all = every kind but pause)
  --max-faults <n>     at most this many faults (default: one per 12 s of load)
  --concurrency <n>    concurrent order clients (default 4)
  --recovery <s>       bound on the wait for recovery after the load (default 90)
  --quick              the CI profile: 75 s, every fault kind at least once
  --no-build           skip 'tsc -b tsconfig.build.json'
  --keep               leave the platform running after the report
  --log-level <level>  LOG_LEVEL of the services (default info)
env: TRX_PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres), TRX_AMQP_URL (the local trx-coordinator user
     on vhost trx, from .trx/secrets.env): where the run makes and drops its databases, exchange and queues.
     The apps themselves run with their own roles, broker users and tokens (scripts/local/credentials.ts).`;

/**
 * The coordinator's broker user on the local vhost trx: the one user that may configure every
 * queue of an exchange (scripts/infra/rabbitmq-users.sh), so it resets the run's queues.
 */
function localCoordinatorBrokerUrl(): string {
  try {
    return credentialEnv('transaction-server', readSecrets()).AMQP_URL!;
  } catch {
    // No local secrets yet: the run stops at its start with readSecrets' own message.
    return `amqp://trx-coordinator@127.0.0.1:5672/${BROKER_VHOST}`;
  }
}

/** The options parseArgs knows: `--name value` or `--name=value`; flags take no value. */
const ARGS = {
  duration: { type: 'string' },
  seed: { type: 'string' },
  faults: { type: 'string' },
  'max-faults': { type: 'string' },
  concurrency: { type: 'string' },
  recovery: { type: 'string' },
  'log-level': { type: 'string' },
  quick: { type: 'boolean' },
  'no-build': { type: 'boolean' },
  keep: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ArgOptions;

/** Throws a UsageError (the caller prints it with USAGE) on an unknown option or a bad value. */
export function parseOptions(argv: readonly string[], env: Record<string, string | undefined>): ChaosOptions {
  const { values: flags } = parseCommandLine(() =>
    parseArgs({ args: [...argv], options: ARGS, strict: true, allowPositionals: false }),
  );
  const quick = flags.quick === true;
  const durationMs = seconds(flags.duration, quick ? 75 : 180);
  const faults = parseFaults(flags.faults ?? 'all');
  const pgAdminUrl = env.TRX_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const amqpUrl = env.TRX_AMQP_URL || localCoordinatorBrokerUrl();
  // Restarts run pg_ctlcluster / rabbitmqctl on this machine: never aim them at a remote server.
  if (faults.includes('postgres') && !isLoopback(pgAdminUrl))
    throw new UsageError('--faults postgres needs a local PostgreSQL');
  if (faults.includes('rabbitmq') && !isLoopback(amqpUrl))
    throw new UsageError('--faults rabbitmq needs a local RabbitMQ');
  return {
    seed: integer(flags.seed, randomSeed(), 'seed'),
    durationMs,
    concurrency: integer(flags.concurrency, 4, 'concurrency'),
    faults,
    maxFaults: integer(
      flags['max-faults'],
      Math.max(faults.length, Math.floor(durationMs / 12_000)),
      'max-faults',
    ),
    recoveryTimeoutMs: seconds(flags.recovery, 90),
    requestTimeoutMs: 30_000,
    build: !flags['no-build'],
    keep: flags.keep === true,
    logLevel: flags['log-level'] ?? 'info',
    pgAdminUrl,
    amqpUrl,
    namespace: 'trx_chaos',
    outDir: '.trx/chaos',
    quick,
  };
}

export function parseFaults(list: string): FaultKind[] {
  if (list.trim() === '' || list === 'none') return [];
  const kinds = new Set<FaultKind>();
  for (const name of list.split(',').map((s) => s.trim())) {
    const alias = FAULT_ALIASES[name];
    if (alias) alias.forEach((k) => kinds.add(k));
    else if ((FAULT_KINDS as readonly string[]).includes(name)) kinds.add(name as FaultKind);
    else throw new UsageError(`unknown fault kind '${name}'`);
  }
  return FAULT_KINDS.filter((k) => kinds.has(k));
}

function integer(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return value;
}

function seconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`a duration must be a positive number of seconds`);
  return Math.round(value * 1000);
}

export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}
