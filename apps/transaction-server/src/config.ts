import { DEFAULT_TIMEOUT_MS } from '@trx/protocol';
import { bool, ConfigError, key, configLoader, z, type ConfigOf } from '@trx/config';
import { commonConfigKeys, retentionConfigKeys } from '@trx/service-kit';

export const SERVICE_NAME = 'transaction-server';

const int = (min: number) => z.coerce.number().int().min(min);

/** `host:port` (port 0 = any free port) → the listen address. */
const listenSchema = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8889')
  .transform((raw) => {
    const colon = raw.lastIndexOf(':');
    return { host: raw.slice(0, colon), port: Number(raw.slice(colon + 1)) };
  }) as z.ZodType<{ host: string; port: number } | undefined>;

/** Every setting of the transaction-server: env var, default, meaning (docs/architecture.md). */
export const configSpec = {
  ...commonConfigKeys({
    service: SERVICE_NAME,
    port: 8888,
    database: 'trx_coordinator',
    owner: "the coordinator's",
    consulEnables: 'Consul registration',
  }),
  defaultTimeoutMs: key(
    int(1),
    'TRX_DEFAULT_TIMEOUT_MS',
    DEFAULT_TIMEOUT_MS,
    'timeout of a transaction that does not give one, and of every transaction nobody began (its deadline: its id time + this)',
  ),
  maxTimeoutMs: key(
    int(1),
    'TRX_MAX_TIMEOUT_MS',
    60_000,
    'largest timeout a client may ask for (a branch holds its row locks until then at worst)',
  ),
  sweepIntervalMs: key(int(0), 'TRX_SWEEP_INTERVAL_MS', 1000, 'period of the timeout and re-publish sweeps'),
  republishAfterMs: key(
    int(1),
    'TRX_REPUBLISH_AFTER_MS',
    5000,
    'first re-publish of an unacknowledged decision (then doubling)',
  ),
  republishMaxMs: key(int(1), 'TRX_REPUBLISH_MAX_MS', 60_000, 'cap of the re-publish backoff'),
  republishMaxAttempts: key(
    int(0),
    'TRX_REPUBLISH_MAX_ATTEMPTS',
    10,
    're-publishes of an unacknowledged decision; then the transaction is marked in-doubt for an operator',
  ),
  participantServices: key(
    z.string().transform((raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ) as unknown as z.ZodType<string[]>,
    'TRX_PARTICIPANT_SERVICES',
    ['order-service', 'account-service', 'product-service'],
    'services that may hold branches (decisions go only to them); `*` = any (tests only)',
  ),
  maxBranches: key(
    int(1),
    'TRX_MAX_BRANCHES',
    32,
    'branches one transaction may have; a registration or commit past it is refused (409 too-many-branches)',
  ),
  ...retentionConfigKeys(
    'finished transactions (with branches) and published outbox rows are deleted this long after; ' +
      'at least 2 × (TRX_MAX_TIMEOUT_MS + the re-publish window), checked at start',
  ),
  outboxPollMs: key(
    int(0),
    'TRX_OUTBOX_POLL_MS',
    500,
    'outbox poll for rows another replica or a crash left',
  ),
  auditQueue: key(
    // An empty variable means the default, like every key, so "no audit queue" is spelled `none`.
    z.string().transform((name) => (name === 'none' ? '' : name)),
    'TRX_AUDIT_QUEUE',
    'trx-events.audit',
    'bounded queue bound with # for watching in the management UI (`none`: no audit queue)',
  ),
  auditMaxLength: key(int(1), 'TRX_AUDIT_MAX_LENGTH', 10_000, 'cap of the audit queue (oldest dropped)'),
  auditDurable: key(
    bool,
    'TRX_AUDIT_DURABLE',
    false,
    'false: the audit queue keeps its copies in memory only (no disk write per message; empty after a RabbitMQ restart)',
  ),
  publishLingerMs: key(
    int(0),
    'TRX_PUBLISH_LINGER_MS',
    0,
    'how long the first decision of a publishing round waits for others to share its messages',
  ),
  lifecycleEvents: key(
    z.enum(['decision', 'all']),
    'TRX_LIFECYCLE_EVENTS',
    'decision',
    '`decision`: one lifecycle event per transaction, at its decision; `all`: also transaction.begun (explicit begin) and one when every branch acknowledged',
  ),
  compatListen: key(
    listenSchema,
    'TRX_COMPAT_LISTEN',
    undefined,
    'host:port of the Spring-compatible API, which takes calls without credentials (empty: off); bind it where only its clients reach',
  ),
};

export type AppConfig = ConfigOf<typeof configSpec>;

export const loadAppConfig = configLoader(configSpec, assertRetentionSafe);

/**
 * The longest a decision can still be (re-)published after its transaction began: the
 * largest timeout, then every re-publish with its backoff, until the transaction is in-doubt.
 */
export function decisionWindowMs(c: {
  maxTimeoutMs: number;
  republishAfterMs: number;
  republishMaxMs: number;
  republishMaxAttempts: number;
}): number {
  let window = c.maxTimeoutMs + c.republishAfterMs;
  for (let attempt = 1; attempt <= c.republishMaxAttempts; attempt++) {
    window += Math.min(c.republishAfterMs * 2 ** attempt, c.republishMaxMs);
  }
  return window;
}

/** docs/architecture.md, "Retention": nothing recovery may still need is deleted. */
function assertRetentionSafe(config: AppConfig): void {
  const least = 2 * decisionWindowMs(config);
  if (config.retentionMs >= least) return;
  const message = `must be at least 2 × (TRX_MAX_TIMEOUT_MS + the re-publish window) = ${least} ms`;
  throw new ConfigError(`invalid configuration: TRX_RETENTION_MS: ${message}`, [
    { env: 'TRX_RETENTION_MS', message },
  ]);
}
