import { hostname } from 'node:os';
import { key, loadConfig, serviceMapSchema, z, type ConfigOf } from '@trx/config';

export const SERVICE_NAME = 'transaction-server';

const DEFAULT_SERVICE_URLS =
  'transaction-server=http://127.0.0.1:8888,order-service=http://127.0.0.1:8080,' +
  'account-service=http://127.0.0.1:8081,product-service=http://127.0.0.1:8082';

const int = (min: number) => z.coerce.number().int().min(min);

/** Every setting of the transaction-server: env var, default, meaning (docs/architecture.md). */
export const configSpec = {
  port: key(int(0).max(65535), 'PORT', 8888, 'HTTP port (0 = any free port)'),
  host: key(z.string().min(1), 'HOST', '0.0.0.0', 'listen address'),
  databaseUrl: key(
    z.string().url(),
    'DATABASE_URL',
    'postgres://postgres@127.0.0.1:5432/trx_coordinator',
    "the coordinator's own database; created on first start",
    { secret: true },
  ),
  dbPoolSize: key(int(1), 'DB_POOL_SIZE', 10, "connections in the coordinator's pool"),
  amqpUrl: key(z.string().min(1), 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', 'RabbitMQ', {
    secret: true,
  }),
  exchange: key(z.string().min(1), 'TRX_EXCHANGE', 'trx-events', 'the topic exchange'),
  logLevel: key(z.string().min(1), 'LOG_LEVEL', 'info', 'pino level'),
  instanceId: key(
    z.string().min(1),
    'INSTANCE_ID',
    `${SERVICE_NAME}-${hostname()}-${process.pid}`,
    'unique per replica',
  ),
  serviceUrls: key(
    serviceMapSchema,
    'SERVICE_URLS',
    serviceMapSchema.parse(DEFAULT_SERVICE_URLS),
    'static discovery map name=url,... (used when CONSUL_URL is empty); repeat a name for replicas',
  ),
  consulUrl: key(z.string(), 'CONSUL_URL', '', 'Consul agent HTTP address; enables Consul registration'),
  consulToken: key(z.string(), 'CONSUL_TOKEN', '', 'Consul ACL token', { secret: true }),
  advertiseAddress: key(z.string().min(1), 'ADVERTISE_ADDRESS', '127.0.0.1', 'address registered in Consul'),
  shutdownTimeoutMs: key(int(0), 'SHUTDOWN_TIMEOUT_MS', 10_000, 'graceful shutdown bound'),
  defaultTimeoutMs: key(
    int(1),
    'TRX_DEFAULT_TIMEOUT_MS',
    30_000,
    'timeout of a transaction that does not give one',
  ),
  maxTimeoutMs: key(int(1), 'TRX_MAX_TIMEOUT_MS', 600_000, 'largest timeout a client may ask for'),
  sweepIntervalMs: key(int(0), 'TRX_SWEEP_INTERVAL_MS', 1000, 'period of the timeout and re-publish sweeps'),
  republishAfterMs: key(
    int(1),
    'TRX_REPUBLISH_AFTER_MS',
    5000,
    'first re-publish of an unacknowledged decision (then doubling)',
  ),
  republishMaxMs: key(int(1), 'TRX_REPUBLISH_MAX_MS', 60_000, 'cap of the re-publish backoff'),
  outboxPollMs: key(
    int(0),
    'TRX_OUTBOX_POLL_MS',
    500,
    'outbox poll for rows another replica or a crash left',
  ),
  auditQueue: key(
    z.string(),
    'TRX_AUDIT_QUEUE',
    'trx-events.audit',
    'bounded queue bound with # for watching in the management UI (empty: none)',
  ),
  auditMaxLength: key(int(1), 'TRX_AUDIT_MAX_LENGTH', 10_000, 'cap of the audit queue (oldest dropped)'),
};

export type AppConfig = ConfigOf<typeof configSpec>;

export function loadAppConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<AppConfig> = {},
): AppConfig {
  return loadConfig(configSpec, env, overrides);
}
