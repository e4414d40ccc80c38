import { hostname } from 'node:os';
import { parseTrustedCallers, MIN_TOKEN_LENGTH } from '@trx/auth';
import { key, requiredKey, serviceMapSchema, z, type ConfigOf } from '@trx/config';

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
 * DATABASE_URL, DB_POOL_SIZE, AMQP_URL, TRX_EXCHANGE, TRX_DEAD_LETTER_MAX_LENGTH, LOG_LEVEL,
 * INSTANCE_ID, SERVICE_URLS, CONSUL_URL, CONSUL_TOKEN, ADVERTISE_ADDRESS, SHUTDOWN_TIMEOUT_MS.
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
  };
}

/** The keys of a participant (account-, product-, order-service): recovery, prefetch, the coordinator, its broker user. */
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
  };
}

/** The values of the common keys. */
export type CommonConfig = ConfigOf<ReturnType<typeof commonConfigKeys>>;
/** The values of the participant keys. */
export type ParticipantConfig = ConfigOf<ReturnType<typeof participantConfigKeys>>;
