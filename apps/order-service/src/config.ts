/**
 * The order-service configuration: one schema, every key with its env var, default and
 * description (docs/architecture.md lists the same table).
 */
import os from 'node:os';
import { key, loadConfig, serviceMapSchema, z, type ConfigOf } from '@trx/config';

export const SERVICE_NAME = 'order-service';

const DEFAULT_SERVICE_URLS =
  'transaction-server=http://127.0.0.1:8888,order-service=http://127.0.0.1:8080,' +
  'account-service=http://127.0.0.1:8081,product-service=http://127.0.0.1:8082';

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const configSpec = {
  port: key(port, 'PORT', 8080, 'HTTP port (0 = any free port)'),
  host: key(z.string().min(1), 'HOST', '0.0.0.0', 'listen address'),
  databaseUrl: key(
    z.string().url(),
    'DATABASE_URL',
    'postgres://postgres@127.0.0.1:5432/trx_order',
    "the order-service's own database; created on first start",
    { secret: true },
  ),
  dbPoolSize: key(z.coerce.number().int().positive(), 'DB_POOL_SIZE', 10, 'connections in the pool'),
  amqpUrl: key(z.string().min(1), 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', 'RabbitMQ', {
    secret: true,
  }),
  exchange: key(z.string().min(1), 'TRX_EXCHANGE', 'trx-events', 'the topic exchange'),
  logLevel: key(z.string().min(1), 'LOG_LEVEL', 'info', 'pino level'),
  instanceId: key(
    z.string().min(1),
    'INSTANCE_ID',
    `order-service-${os.hostname()}-${process.pid}`,
    'unique per replica',
  ),
  serviceUrls: key(
    serviceMapSchema as z.ZodType<Record<string, string[]>>,
    'SERVICE_URLS',
    serviceMapSchema.parse(DEFAULT_SERVICE_URLS),
    'static discovery map name=url,... (used when CONSUL_URL is empty); repeat a name for replicas',
  ),
  consulUrl: key(z.string(), 'CONSUL_URL', '', 'Consul agent HTTP address; enables Consul discovery'),
  consulToken: key(z.string(), 'CONSUL_TOKEN', '', 'Consul ACL token', { secret: true }),
  advertiseAddress: key(z.string().min(1), 'ADVERTISE_ADDRESS', '127.0.0.1', 'address registered in Consul'),
  shutdownTimeoutMs: key(positiveMs, 'SHUTDOWN_TIMEOUT_MS', 10_000, 'graceful shutdown bound'),
  recoveryIntervalMs: key(
    positiveMs,
    'TRX_RECOVERY_INTERVAL_MS',
    10_000,
    "period of recovery of this service's prepared transactions",
  ),
  prefetch: key(
    z.coerce.number().int().positive(),
    'TRX_PREFETCH',
    32,
    'unacknowledged decisions per consumer',
  ),
  coordinatorService: key(
    z.string().min(1),
    'COORDINATOR_SERVICE',
    'transaction-server',
    'discovery name of the coordinator',
  ),
  callTimeoutMs: key(positiveMs, 'CALL_TIMEOUT_MS', 5_000, 'timeout of one HTTP call to another service'),
  orderTransactionTimeoutMs: key(
    positiveMs,
    'ORDER_TRANSACTION_TIMEOUT_MS',
    10_000,
    'timeout of the transaction an order begins',
  ),
  faultInjection: key(
    bool as z.ZodType<boolean>,
    'ORDER_FAULT_INJECTION',
    false,
    'honour the X-Fault-Inject header (after-reservation, after-withdrawal, before-commit)',
  ),
  baselineMode: key(
    bool as z.ZodType<boolean>,
    'ORDER_BASELINE_MODE',
    false,
    'honour X-Trx-Mode: baseline — the same calls and writes with no coordinator and no prepared transactions (NOT atomic; for the benchmark only)',
  ),
};

export type AppConfig = ConfigOf<typeof configSpec>;

export function loadAppConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<AppConfig> = {},
): AppConfig {
  return loadConfig(configSpec, env, overrides);
}
