import { hostname } from 'node:os';
import { parseTrustedCallers, MIN_TOKEN_LENGTH } from '@trx/auth';
import { ConfigError, key, requiredKey, serviceMapSchema, z, type ConfigOf } from '@trx/config';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits';

/** Every app on its default port on one machine: the static discovery map when nothing else is set. */
export const DEFAULT_SERVICE_URLS =
  'transaction-server=http://127.0.0.1:8888,order-service=http://127.0.0.1:8080,' +
  'account-service=http://127.0.0.1:8081,product-service=http://127.0.0.1:8082';

const int = (min: number) => z.coerce.number().int().min(min);

/** `TRX_TRUSTED_CALLERS` → digest → identity. */
const trustedCallersSchema = z.string().transform((raw, ctx) => {
  try {
    return parseTrustedCallers(raw);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export interface CommonKeysOptions {
  /** The app's discovery name; the default INSTANCE_ID starts with it. */
  service: string;
  /** Default of PORT. */
  port: number;
  /** Default database name, e.g. `trx_account`. */
  database: string;
  /** Whose database and pool, in the descriptions (default "the service's"). */
  owner?: string;
  /** What CONSUL_URL enables, in its description (default "Consul discovery"). */
  consulEnables?: string;
}

/**
 * The keys every app has (docs/architecture.md, "Common to every app"): PORT, HOST,
 * DATABASE_URL, DB_POOL_SIZE, AMQP_URL, TRX_EXCHANGE, LOG_LEVEL, INSTANCE_ID, SERVICE_URLS,
 * CONSUL_URL, CONSUL_TOKEN, ADVERTISE_ADDRESS, SHUTDOWN_TIMEOUT_MS, the HTTP server's bounds
 * (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS,
 * HTTP_MAX_CONNECTIONS, REQUEST_DEADLINE_MS) and DB_CONNECTION_TIMEOUT_MS.
 */
export function commonConfigKeys(o: CommonKeysOptions) {
  const owner = o.owner ?? "the service's";
  return {
    port: key(int(0).max(65535), 'PORT', o.port, 'HTTP port (0 = any free port)'),
    host: key(z.string().min(1), 'HOST', '0.0.0.0', 'listen address'),
    databaseUrl: requiredKey(
      z.string().url(),
      'DATABASE_URL',
      `${owner} own database (e.g. postgres://${o.database}:<password>@127.0.0.1:5432/${o.database}), as its own role`,
      { secret: true },
    ),
    dbPoolSize: key(int(1), 'DB_POOL_SIZE', 10, `connections in ${owner} pool`),
    amqpUrl: requiredKey(
      z.string().min(1),
      'AMQP_URL',
      "RabbitMQ, as the service's own user (e.g. amqp://<user>:<password>@127.0.0.1:5672/trx)",
      { secret: true },
    ),
    serviceToken: requiredKey(
      z.string().min(MIN_TOKEN_LENGTH),
      'TRX_SERVICE_TOKEN',
      `this app's own bearer token, sent on every call to another app (at least ${MIN_TOKEN_LENGTH} characters)`,
      { secret: true },
    ),
    trustedCallers: requiredKey(
      trustedCallersSchema,
      'TRX_TRUSTED_CALLERS',
      'who may call this app: identity:sha256hex(token),... (an identity twice while a token is rotated)',
    ),
    exchange: key(z.string().min(1), 'TRX_EXCHANGE', 'trx-events', 'the topic exchange'),
    deadLetterMaxLength: key(
      int(1),
      'TRX_DEAD_LETTER_MAX_LENGTH',
      10_000,
      'cap of the <exchange>.dead-letter and <exchange>.unroutable queues (oldest dropped); same in every app',
    ),
    logLevel: key(z.string().min(1), 'LOG_LEVEL', 'info', 'pino level'),
    instanceId: key(
      z.string().min(1),
      'INSTANCE_ID',
      `${o.service}-${hostname()}-${process.pid}`,
      'unique per replica',
    ),
    serviceUrls: key(
      serviceMapSchema,
      'SERVICE_URLS',
      serviceMapSchema.parse(DEFAULT_SERVICE_URLS),
      'static discovery map name=url,... (used when CONSUL_URL is empty); repeat a name for replicas',
    ),
    consulUrl: key(
      z.string(),
      'CONSUL_URL',
      '',
      `Consul agent HTTP address; enables ${o.consulEnables ?? 'Consul discovery'}`,
    ),
    consulToken: key(z.string(), 'CONSUL_TOKEN', '', 'Consul ACL token', { secret: true }),
    advertiseAddress: key(
      z.string().min(1),
      'ADVERTISE_ADDRESS',
      '127.0.0.1',
      'address registered in Consul',
    ),
    shutdownTimeoutMs: key(int(0), 'SHUTDOWN_TIMEOUT_MS', 10_000, 'graceful shutdown bound'),
    ...httpLimitKeys(),
    dbConnectionTimeoutMs: key(
      int(1),
      'DB_CONNECTION_TIMEOUT_MS',
      5_000,
      `longest wait for a connection of ${owner} pool (a new one, or a free one when all are busy); then 503`,
    ),
  };
}

/** The HTTP server's bounds (HttpLimits), with the defaults of DEFAULT_HTTP_LIMITS. */
function httpLimitKeys() {
  const d = DEFAULT_HTTP_LIMITS;
  return {
    headersTimeoutMs: key(
      int(1),
      'HTTP_HEADERS_TIMEOUT_MS',
      d.headersTimeoutMs,
      'request headers must arrive within this (408)',
    ),
    requestTimeoutMs: key(
      int(1),
      'HTTP_REQUEST_TIMEOUT_MS',
      d.requestTimeoutMs,
      'the whole request body must arrive within this (408)',
    ),
    keepAliveTimeoutMs: key(
      int(1),
      'HTTP_KEEP_ALIVE_TIMEOUT_MS',
      d.keepAliveTimeoutMs,
      'idle keep-alive connections are closed after this',
    ),
    maxConnections: key(
      int(1),
      'HTTP_MAX_CONNECTIONS',
      d.maxConnections,
      'connections open at once; more are closed on accept',
    ),
    requestDeadlineMs: key(
      int(0),
      'REQUEST_DEADLINE_MS',
      d.requestDeadlineMs,
      'a request not answered within this gets 503 request-timeout (0 = none)',
    ),
  };
}

/** The HttpLimits of a configuration that has the common keys. */
export function httpLimitsOf(config: HttpLimits): HttpLimits {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections, requestDeadlineMs } =
    config;
  return { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections, requestDeadlineMs };
}

/** The keys of a participant (account-, product-, order-service): recovery, prefetch, the coordinator. */
export function participantConfigKeys() {
  return {
    recoveryIntervalMs: key(
      int(0),
      'TRX_RECOVERY_INTERVAL_MS',
      10_000,
      "period of recovery of this service's prepared transactions",
    ),
    prefetch: key(int(1), 'TRX_PREFETCH', 32, 'unacknowledged decisions per consumer'),
    coordinatorService: key(
      z.string().min(1),
      'COORDINATOR_SERVICE',
      'transaction-server',
      'discovery name of the coordinator',
    ),
    callTimeoutMs: key(int(1), 'CALL_TIMEOUT_MS', 5000, 'timeout of one HTTP call to another service'),
    coordinatorBrokerUser: key(
      z.string().min(1),
      'TRX_COORDINATOR_BROKER_USER',
      'trx-coordinator',
      "the coordinator's RabbitMQ user: decisions with another user_id are dead-lettered",
    ),
    lockTimeoutMs: key(
      int(0),
      'DB_LOCK_TIMEOUT_MS',
      3_000,
      "lock_timeout of the service's sessions: a branch that waits longer on a row lock votes no (503 lock-timeout); keep it below the callers' CALL_TIMEOUT_MS",
    ),
    statementTimeoutMs: key(
      int(0),
      'DB_STATEMENT_TIMEOUT_MS',
      10_000,
      "statement_timeout of the service's sessions: a longer statement is cancelled (503 statement-timeout)",
    ),
    maxPreparedBranches: key(
      int(0),
      'TRX_MAX_PREPARED_BRANCHES',
      // 3 services × 160 = 480, under the 512 max_prepared_transactions infra.sh and compose set.
      // 64 (and 80) was too tight at 64 clients: a product branch stays prepared from the
      // reservation until its decision arrives, and with the CPU saturated the finished orders'
      // branches waiting for theirs came on top of one per client (bench: 194 refusals in 12 s).
      160,
      "branches of this service prepared at once (all replicas); more vote no with 503 too-many-prepared; keep the services' sum below max_prepared_transactions (0 = no cap)",
    ),
    decisionWindowMs: key(
      int(1),
      'TRX_DECISION_WINDOW_MS',
      555_000,
      "longest a decision can still arrive after its transaction began: the coordinator's TRX_MAX_TIMEOUT_MS + its re-publish window (555000 for its defaults)",
    ),
    ...retentionConfigKeys(
      "trx_branch rows (and the service's own finished records) are deleted this long after; at least 2 × TRX_DECISION_WINDOW_MS, checked at start",
    ),
  };
}

/** TRX_RETENTION_MS (`what` says what is deleted and the rule), TRX_RETENTION_INTERVAL_MS, TRX_RETENTION_BATCH. */
export function retentionConfigKeys(what: string) {
  return {
    retentionMs: key(int(1), 'TRX_RETENTION_MS', 7 * 24 * 3600_000, what),
    retentionIntervalMs: key(
      int(0),
      'TRX_RETENTION_INTERVAL_MS',
      60_000,
      'period of the retention job (0 = off)',
    ),
    retentionBatch: key(int(1), 'TRX_RETENTION_BATCH', 500, 'rows one retention statement deletes at most'),
  };
}

/**
 * The retention rule (docs/architecture.md, "Retention"): a trx_branch row must outlive any
 * delivery of its decision that can still arrive, so retention is at least twice the window.
 */
export function assertParticipantRetention(config: { retentionMs: number; decisionWindowMs: number }): void {
  const least = 2 * config.decisionWindowMs;
  if (config.retentionMs >= least) return;
  const message = `must be at least 2 × TRX_DECISION_WINDOW_MS = ${least} ms`;
  throw new ConfigError(`invalid configuration: TRX_RETENTION_MS: ${message}`, [
    { env: 'TRX_RETENTION_MS', message },
  ]);
}

/** The values of the common keys. */
export type CommonConfig = ConfigOf<ReturnType<typeof commonConfigKeys>>;
/** The values of the participant keys. */
export type ParticipantConfig = ConfigOf<ReturnType<typeof participantConfigKeys>>;
