import { key, loadConfig, z, type ConfigOf } from '@trx/config';
import { commonConfigKeys } from '@trx/service-kit';

export const SERVICE_NAME = 'transaction-server';

const int = (min: number) => z.coerce.number().int().min(min);

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
    30_000,
    'timeout of a transaction that does not give one',
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
};

export type AppConfig = ConfigOf<typeof configSpec>;

export function loadAppConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<AppConfig> = {},
): AppConfig {
  return loadConfig(configSpec, env, overrides);
}
