/**
 * The order-service configuration: one schema, every key with its env var, default and
 * description (docs/architecture.md lists the same table).
 */
import { bool, key, configLoader, z, type ConfigOf } from '@trx/config';
import { assertParticipantRetention, commonConfigKeys, participantConfigKeys } from '@trx/service-kit';

export const SERVICE_NAME = 'order-service';

const positiveMs = z.coerce.number().int().positive();

export const configSpec = {
  ...commonConfigKeys({ service: SERVICE_NAME, port: 8080, database: 'trx_order' }),
  ...participantConfigKeys(),
  orderTransactionTimeoutMs: key(
    positiveMs,
    'ORDER_TRANSACTION_TIMEOUT_MS',
    10_000,
    "how long an order's transaction may take as the order-service sees it (the Idempotency-Key takeover waits for it); the coordinator's TRX_DEFAULT_TIMEOUT_MS ends it: keep the two equal",
  ),
  maxOrdersPerKey: key(
    positiveMs,
    'ORDER_MAX_IN_FLIGHT_PER_KEY',
    8,
    "orders in flight per product and per customer in this instance (below a participant's pool size)",
  ),
  maxWaitersPerKey: key(
    z.coerce.number().int().min(0),
    'ORDER_MAX_WAITERS_PER_KEY',
    64,
    'orders that may wait per product or customer; more are refused at once (503 too-busy)',
  ),
  maxWaitMs: key(
    z.coerce.number().int().min(0),
    'ORDER_MAX_WAIT_MS',
    5_000,
    'longest an order waits for its turn on a product or customer; then 503 too-busy (0 = no bound)',
  ),
  faultInjection: key(
    bool,
    'ORDER_FAULT_INJECTION',
    false,
    'honour the X-Fault-Inject header (after-reservation, after-withdrawal, before-commit)',
  ),
  baselineMode: key(
    bool,
    'ORDER_BASELINE_MODE',
    false,
    'honour X-Trx-Mode: baseline — the same calls and writes with no coordinator and no prepared transactions (NOT atomic; for the benchmark only)',
  ),
  customerJwksUrl: key(
    z.string().url().or(z.literal('')),
    'ORDER_CUSTOMER_JWKS_URL',
    '',
    'JWKS URL of the identity provider that signs customer tokens (this or ORDER_CUSTOMER_JWT_PUBLIC_KEY is required)',
  ),
  customerJwtPublicKey: key(
    z.string().includes('PUBLIC KEY'),
    'ORDER_CUSTOMER_JWT_PUBLIC_KEY',
    '',
    'PEM public key that verifies customer tokens, instead of a JWKS URL',
  ),
  customerJwtIssuer: key(
    z.string().min(1),
    'ORDER_CUSTOMER_JWT_ISSUER',
    'trx',
    'required `iss` of customer tokens',
  ),
  customerJwtAudience: key(
    z.string().min(1),
    'ORDER_CUSTOMER_JWT_AUDIENCE',
    'trx-orders',
    'required `aud` of customer tokens',
  ),
};

export type AppConfig = ConfigOf<typeof configSpec>;

export const loadAppConfig = configLoader(configSpec, assertParticipantRetention);
