import { hostname } from 'node:os';
import { key, loadConfig, serviceMapSchema, z, type ConfigOf } from '@trx/config';

export const SERVICE_NAME = 'account-service';

const DEFAULT_SERVICE_URLS =
  'transaction-server=http://127.0.0.1:8888,order-service=http://127.0.0.1:8080,' +
  'account-service=http://127.0.0.1:8081,product-service=http://127.0.0.1:8082';

const int = (min: number) => z.coerce.number().int().min(min);

/** Every setting of the account-service: env var, default, meaning (docs/architecture.md). */
export const configSpec = {
  port: key(int(0).max(65535), 'PORT', 8081, 'HTTP port (0 = any free port)'),
  host: key(z.string().min(1), 'HOST', '0.0.0.0', 'listen address'),
  databaseUrl: key(
    z.string().url(),
    'DATABASE_URL',
    'postgres://postgres@127.0.0.1:5432/trx_account',
    "the service's own database; created on first start",
    { secret: true },
  ),
  dbPoolSize: key(int(1), 'DB_POOL_SIZE', 10, "connections in the service's pool"),
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
  consulUrl: key(z.string(), 'CONSUL_URL', '', 'Consul agent HTTP address; enables Consul discovery'),
  consulToken: key(z.string(), 'CONSUL_TOKEN', '', 'Consul ACL token', { secret: true }),
  advertiseAddress: key(z.string().min(1), 'ADVERTISE_ADDRESS', '127.0.0.1', 'address registered in Consul'),
  shutdownTimeoutMs: key(int(0), 'SHUTDOWN_TIMEOUT_MS', 10_000, 'graceful shutdown bound'),
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
};

export type AppConfig = ConfigOf<typeof configSpec>;

export function loadAppConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<AppConfig> = {},
): AppConfig {
  return loadConfig(configSpec, env, overrides);
}
