/**
 * The credentials of a trx run on this machine, in one place: they are generated into
 * `.trx/secrets.env` (mode 600, git-ignored) and `.trx/customer-jwt.*.pem`, and every script
 * that starts an app (up.sh, the chaos run, the benchmark) builds the app's environment here.
 *
 *   node --conditions=trx-source -r ts-node/register/transpile-only scripts/local/credentials.ts generate
 *   node --conditions=trx-source -r ts-node/register/transpile-only scripts/local/credentials.ts env order-service   # KEY=value lines
 *   npm run token -- 7                                                                        # a customer token
 *
 * Nothing here prints a secret except `env` (read by up.sh into a process environment) and
 * `token`, whose output is the token asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
// By name, from its source (--conditions=trx-source): infra.sh generates the secrets before anything is built.
import { generateCustomerKeyPair, generateToken, signCustomerToken, trustedCallersOf } from '@trx/auth';
import { isUsageError, parseCommandLine } from './command-line';

export const APPS = ['transaction-server', 'order-service', 'account-service', 'product-service'] as const;
export type AppName = (typeof APPS)[number];

/** Who each app is in Postgres and RabbitMQ, and the name of its secrets. */
export const IDENTITIES: Record<
  AppName,
  { database: string; role: string; brokerUser: string; key: string }
> = {
  'transaction-server': {
    database: 'trx_coordinator',
    role: 'trx_coordinator',
    brokerUser: 'trx-coordinator',
    key: 'TRANSACTION_SERVER',
  },
  'order-service': {
    database: 'trx_order',
    role: 'trx_order',
    brokerUser: 'trx-order',
    key: 'ORDER_SERVICE',
  },
  'account-service': {
    database: 'trx_account',
    role: 'trx_account',
    brokerUser: 'trx-account',
    key: 'ACCOUNT_SERVICE',
  },
  'product-service': {
    database: 'trx_product',
    role: 'trx_product',
    brokerUser: 'trx-product',
    key: 'PRODUCT_SERVICE',
  },
};

export const CUSTOMER_ISSUER = 'trx';
export const CUSTOMER_AUDIENCE = 'trx-orders';
export const BROKER_VHOST = 'trx';

export interface LocalSecrets {
  values: Record<string, string>;
  customerPrivateKeyPem: string;
  customerPublicKeyPem: string;
}

export function secretsDir(root = process.cwd()): string {
  return process.env.TRX_SECRETS_DIR || path.join(root, '.trx');
}

const files = (dir: string) => ({
  env: path.join(dir, 'secrets.env'),
  privateKey: path.join(dir, 'customer-jwt.key.pem'),
  publicKey: path.join(dir, 'customer-jwt.pub.pem'),
});

/** Every secret name a run needs. */
function secretNames(): string[] {
  const perApp = APPS.flatMap((app) => {
    const k = IDENTITIES[app].key;
    return [`TRX_TOKEN_${k}`, `TRX_PG_PASSWORD_${k}`, `TRX_AMQP_PASSWORD_${k}`];
  });
  return [...perApp, 'TRX_TOKEN_OPERATOR', 'TRX_AMQP_PASSWORD_ADMIN'];
}

/** Creates whatever is missing (never replaces an existing secret); returns the names it made. */
export function generateSecrets(dir = secretsDir()): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = files(dir);
  const existing = fs.existsSync(f.env) ? parseEnvFile(fs.readFileSync(f.env, 'utf8')) : {};
  const made = secretNames().filter((name) => !existing[name]);
  const values = { ...existing, ...Object.fromEntries(made.map((name) => [name, generateToken()])) };
  const lines = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  fs.writeFileSync(
    f.env,
    `# trx local secrets: generated, never committed. Rotate by deleting a line and re-running.\n${lines.join('\n')}\n`,
    { mode: 0o600 },
  );
  fs.chmodSync(f.env, 0o600);
  if (!fs.existsSync(f.privateKey) || !fs.existsSync(f.publicKey)) {
    const pair = generateCustomerKeyPair();
    fs.writeFileSync(f.privateKey, pair.privateKeyPem, { mode: 0o600 });
    fs.writeFileSync(f.publicKey, pair.publicKeyPem, { mode: 0o644 });
    made.push('customer-jwt key pair');
  }
  return made;
}

export function readSecrets(dir = secretsDir()): LocalSecrets {
  const f = files(dir);
  if (!fs.existsSync(f.env) || !fs.existsSync(f.privateKey)) {
    throw new Error(`no local secrets in ${dir}: run bash scripts/infra.sh (or scripts/up.sh) first`);
  }
  return {
    values: parseEnvFile(fs.readFileSync(f.env, 'utf8')),
    customerPrivateKeyPem: fs.readFileSync(f.privateKey, 'utf8'),
    customerPublicKeyPem: fs.readFileSync(f.publicKey, 'utf8'),
  };
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function secret(s: LocalSecrets, name: string): string {
  const value = s.values[name];
  if (!value) throw new Error(`${name} is missing from the local secrets: run bash scripts/infra.sh`);
  return value;
}

/** TRX_TRUSTED_CALLERS: every app and the operator (each route decides who may call it). */
export function trustedCallers(s: LocalSecrets): string {
  const tokens: Record<string, string> = { operator: secret(s, 'TRX_TOKEN_OPERATOR') };
  for (const app of APPS) tokens[app] = secret(s, `TRX_TOKEN_${IDENTITIES[app].key}`);
  return trustedCallersOf(tokens);
}

export interface Endpoints {
  /** host:port of Postgres (default 127.0.0.1:5432). */
  postgres?: string;
  /** host:port of RabbitMQ (default 127.0.0.1:5672). */
  rabbitmq?: string;
  /** The app's database (default its own, e.g. trx_account). */
  database?: string;
}

/** The credentials part of an app's environment: its own database role, broker user and token. */
export function credentialEnv(app: AppName, s: LocalSecrets, e: Endpoints = {}): Record<string, string> {
  const id = IDENTITIES[app];
  const pg = encodeURIComponent(secret(s, `TRX_PG_PASSWORD_${id.key}`));
  const mq = encodeURIComponent(secret(s, `TRX_AMQP_PASSWORD_${id.key}`));
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://${id.role}:${pg}@${e.postgres ?? '127.0.0.1:5432'}/${e.database ?? id.database}`,
    AMQP_URL: `amqp://${id.brokerUser}:${mq}@${e.rabbitmq ?? '127.0.0.1:5672'}/${BROKER_VHOST}`,
    TRX_SERVICE_TOKEN: secret(s, `TRX_TOKEN_${id.key}`),
    TRX_TRUSTED_CALLERS: trustedCallers(s),
    TRX_COORDINATOR_BROKER_USER: IDENTITIES['transaction-server'].brokerUser,
  };
  if (app === 'order-service') env.ORDER_CUSTOMER_JWT_PUBLIC_KEY = s.customerPublicKeyPem;
  return env;
}

/** The operator's bearer token (the console, direct writes, reads of anyone's data). */
export function operatorToken(s: LocalSecrets): string {
  return secret(s, 'TRX_TOKEN_OPERATOR');
}

/** A customer's bearer JWT, signed with the local customer key. */
export function customerToken(s: LocalSecrets, customerId: number, ttlSeconds = 86_400): Promise<string> {
  return signCustomerToken({
    privateKeyPem: s.customerPrivateKeyPem,
    customerId,
    issuer: CUSTOMER_ISSUER,
    audience: CUSTOMER_AUDIENCE,
    ttlSeconds,
  });
}

/** One shell-quoted `export KEY='value'` per line (a PEM's newlines stay inside the quotes). */
function shellExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
}

const USAGE = 'usage: credentials.ts generate | env <app> | get <SECRET_NAME> | token <customerId>';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(() =>
    parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }),
  );
  const [command, arg] = positionals;
  if (values.help) {
    console.log(USAGE);
  } else if (command === 'generate') {
    const made = generateSecrets();
    console.log(
      made.length ? `[secrets] generated into ${secretsDir()}: ${made.length} secrets` : '[secrets] ok',
    );
  } else if (command === 'env' && (APPS as readonly string[]).includes(arg ?? '')) {
    console.log(shellExports(credentialEnv(arg as AppName, readSecrets())));
  } else if (command === 'get' && arg && /^[A-Z0-9_]+$/.test(arg)) {
    console.log(secret(readSecrets(), arg));
  } else if (command === 'token' && /^[1-9][0-9]{0,9}$/.test(arg ?? '')) {
    console.log(await customerToken(readSecrets(), Number(arg)));
  } else {
    console.error(USAGE);
    process.exitCode = 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    if (isUsageError(err)) {
      console.error(`${err.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(`[secrets] ${err.message}`);
    process.exitCode = 1;
  });
}
