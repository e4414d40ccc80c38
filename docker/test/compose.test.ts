/**
 * Static checks of docker/compose.yaml (no Docker engine runs here): every service is there,
 * each app is built from docker/Dockerfile for an app that exists, and its environment,
 * published port and database match the app's configuration schema; no published host port
 * collides with the local stack; every secret comes from docker/dev-secrets.sh, which is run
 * here into a scratch directory to prove it defines every variable compose needs. Its values
 * replace the variables, so the apps' configuration schemas check real-shaped credentials.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  APPS,
  REPO_ROOT,
  acceptsKey,
  appConfigKeys,
  configSource,
  defaultDatabase,
  defaultPort,
  type AppConfigKeys,
  type AppName,
} from './app-config-keys';

const DOCKER_DIR = path.join(REPO_ROOT, 'docker');
const INFRA = ['postgres', 'rabbitmq', 'consul'] as const;

interface ComposeService {
  image?: string;
  command?: string | string[];
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

/** The ports the local stack (scripts/infra.sh, scripts/up.sh and the usual neighbours) takes on the host. */
const LOCAL_STACK_PORTS = [5432, 5672, 15672, 8080, 8081, 8082, 8888, 3306, 6379, 1883, 4222];

const composeText = readFileSync(path.join(DOCKER_DIR, 'compose.yaml'), 'utf8');
/** `${VAR}`, `${VAR:?message}`, `${VAR:-default}` of the compose file. */
const VARIABLE = /\$\{(\w+)(?::?[-?+][^}]*)?\}/g;
const composeVariables = [...new Set([...composeText.matchAll(VARIABLE)].map((m) => m[1] as string))];

type ComposeFile = { services: Record<string, ComposeService & { restart?: string }> };

/**
 * docker/dev-secrets.sh run twice (it must be idempotent) in a scratch copy of docker/: the
 * `.env` it writes, as compose reads it (a double-quoted value turns `\n` into a newline).
 */
const secretsDir = mkdtempSync(path.join(os.tmpdir(), 'trx-dev-secrets-'));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));
copyFileSync(path.join(DOCKER_DIR, 'dev-secrets.sh'), path.join(secretsDir, 'dev-secrets.sh'));
execFileSync('bash', [path.join(secretsDir, 'dev-secrets.sh')], { stdio: 'pipe' });
execFileSync('bash', [path.join(secretsDir, 'dev-secrets.sh')], { stdio: 'pipe' });
const envFileLines = readFileSync(path.join(secretsDir, '.env'), 'utf8').trim().split('\n');
const devSecrets: Record<string, string> = Object.fromEntries(
  envFileLines
    .filter((line) => line.includes('='))
    .map((line) => {
      const [name, raw] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)];
      const quoted = /^"(.*)"$/s.exec(raw);
      return [name, quoted ? (quoted[1] as string).replace(/\\n/g, '\n') : raw];
    }),
);

/** Replaces the variables in every string of the parsed file, as compose interpolates values. */
function interpolate<T>(node: T, vars: Record<string, string>): T {
  if (typeof node === 'string') {
    return node.replace(VARIABLE, (whole, name: string) => vars[name] ?? whole) as T;
  }
  if (Array.isArray(node)) return node.map((item: unknown) => interpolate(item, vars)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, vars)])) as T;
  }
  return node;
}

/** The compose file as written (variables not replaced). */
const composeRaw = parse(composeText, { merge: true }) as ComposeFile;
/** The compose file as compose sees it with the secrets docker/dev-secrets.sh generates. */
const compose = interpolate(composeRaw, devSecrets);

/** The variable of the credentials model for an app: TRX_TOKEN_ORDER_SERVICE, ... */
const appVariable = (prefix: string, app: AppName) => `${prefix}_${app.toUpperCase().replace(/-/g, '_')}`;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`compose.yaml has no service ${name}`);
  return found;
}

function commandText(svc: ComposeService): string {
  return Array.isArray(svc.command) ? svc.command.join(' ') : (svc.command ?? '');
}

/** "8080:8080" → { host: 8080, container: 8080 }. */
function publishedPorts(svc: ComposeService): { host: number; container: number }[] {
  return (svc.ports ?? []).map((spec) => {
    const parts = spec.split(':');
    return { host: Number(parts[parts.length - 2]), container: Number(parts[parts.length - 1]) };
  });
}

test('compose.yaml names every service', () => {
  expect(Object.keys(compose.services).sort()).toEqual([...INFRA, ...APPS].sort());
});

describe('infrastructure', () => {
  test('postgres allows prepared transactions and creates one database per app', async () => {
    const postgres = service('postgres');
    expect(postgres.image).toMatch(/^postgres:15/);
    // Room for every participant service's cap of prepared branches (TRX_MAX_PREPARED_BRANCHES, 160 each).
    const prepared = /max_prepared_transactions=(\d+)/.exec(commandText(postgres));
    expect(Number(prepared?.[1])).toBeGreaterThanOrEqual(3 * 160);
    const connections = /max_connections=(\d+)/.exec(commandText(postgres));
    expect(Number(connections?.[1])).toBeGreaterThanOrEqual(100);

    const initMount = (postgres.volumes ?? []).find((v) => v.includes(':/docker-entrypoint-initdb.d'));
    expect(initMount).toBeDefined();
    const initDir = path.resolve(DOCKER_DIR, (initMount as string).split(':')[0] as string);
    const scripts = readdirSync(initDir).filter((f) => /\.(sql|sh)$/.test(f));
    const initText = scripts.map((f) => readFileSync(path.join(initDir, f), 'utf8')).join('\n');
    for (const app of APPS) {
      const db = defaultDatabase(await appConfigKeys(app));
      expect(initText).toMatch(new RegExp(`CREATE DATABASE "?${db}"?\\b`, 'i'));
    }
  });

  test('rabbitmq runs the management plugin with AMQP and UI published beside the local ones (5673, 15673)', () => {
    const rabbitmq = service('rabbitmq');
    expect(rabbitmq.image).toMatch(/^rabbitmq:3\.\d+-management/);
    expect(publishedPorts(rabbitmq)).toEqual(
      expect.arrayContaining([
        { host: 5673, container: 5672 },
        { host: 15673, container: 15672 },
      ]),
    );
    expect(rabbitmq.volumes).toEqual(
      expect.arrayContaining(['./.generated/rabbitmq-definitions.json:/etc/rabbitmq/definitions.json:ro']),
    );
  });

  test('consul is a dev agent reachable from the other containers, UI on 8500', () => {
    const consul = service('consul');
    expect(consul.image).toMatch(/^hashicorp\/consul/);
    expect(commandText(consul)).toMatch(/agent\b.*-dev\b/);
    expect(commandText(consul)).toMatch(/-client[ =]0\.0\.0\.0/);
    expect(publishedPorts(consul)).toContainEqual({ host: 18500, container: 8500 });
  });

  test.each(INFRA)('%s has a healthcheck', (name) => {
    expect(service(name).healthcheck?.test.length).toBeGreaterThan(0);
  });
});

describe.each(APPS.map((app) => [app, configSource(app)] as const))(
  '%s (configuration keys from %s)',
  (app: AppName) => {
    let keys: AppConfigKeys;
    beforeAll(async () => {
      keys = await appConfigKeys(app);
    });
    const svc = () => service(app);
    const env = () => svc().environment ?? {};

    test('is built from docker/Dockerfile with APP naming an existing app', () => {
      const build = svc().build;
      expect(build).toBeDefined();
      const context = path.resolve(DOCKER_DIR, build?.context ?? '.');
      expect(context).toBe(REPO_ROOT);
      expect(path.resolve(context, build?.dockerfile ?? '')).toBe(path.join(DOCKER_DIR, 'Dockerfile'));
      expect(build?.args.APP).toBe(app);
      expect(existsSync(path.join(REPO_ROOT, 'apps', app, 'package.json'))).toBe(true);
    });

    test('sets only known configuration keys, with valid values, and the ones compose must set', () => {
      const unknown = Object.keys(env()).filter((name) => !acceptsKey(keys, name));
      expect(unknown).toEqual([]);
      expect(Object.keys(env())).toEqual(
        expect.arrayContaining([
          'DATABASE_URL',
          'AMQP_URL',
          'CONSUL_URL',
          'ADVERTISE_ADDRESS',
          'TRX_SERVICE_TOKEN',
          'TRX_TRUSTED_CALLERS',
        ]),
      );
      expect(keys.problems(env())).toEqual([]);
    });

    test('uses its own database on the postgres service, and the compose broker and Consul', () => {
      const db = new URL(env().DATABASE_URL ?? '');
      expect(db.protocol).toBe('postgres:');
      expect(db.hostname).toBe('postgres');
      expect(db.pathname).toBe(`/${defaultDatabase(keys)}`);
      expect(new URL(env().AMQP_URL ?? '').hostname).toBe('rabbitmq');
      expect(env().CONSUL_URL).toBe('http://consul:8500');
      expect(env().ADVERTISE_ADDRESS).toBe(app);
    });

    test('publishes the port it listens on as 10000 + that port, on loopback', () => {
      const port = Number(env().PORT ?? defaultPort(keys));
      expect(publishedPorts(svc())).toContainEqual({ host: 10000 + defaultPort(keys), container: port });
      expect(svc().ports?.every((spec) => spec.startsWith('127.0.0.1:'))).toBe(true);
    });

    test('connects as its own Postgres role and broker user, never postgres or guest, secrets from docker/.env', () => {
      const db = new URL(env().DATABASE_URL ?? '');
      const mq = new URL(env().AMQP_URL ?? '');
      expect(db.username).toMatch(/^trx_/);
      expect(mq.username).toMatch(/^trx-/);
      expect(mq.pathname).toBe('/trx');
      expect(decodeURIComponent(db.password)).toBe(devSecrets[appVariable('TRX_PG_PASSWORD', app)]);
      expect(decodeURIComponent(mq.password)).toBe(devSecrets[appVariable('TRX_AMQP_PASSWORD', app)]);
      expect(env().TRX_SERVICE_TOKEN).toBe(devSecrets[appVariable('TRX_TOKEN', app)]);
      expect(env().TRX_TRUSTED_CALLERS).toBe(devSecrets[appVariable('TRX_TRUSTED_CALLERS', app)]);
      // Only participants act on decisions; the transaction-server's configuration has no such key.
      expect(env().TRX_COORDINATOR_BROKER_USER).toBe(
        app === 'transaction-server' ? undefined : 'trx-coordinator',
      );
    });

    test('waits for healthy dependencies and has a readiness healthcheck', () => {
      const dependsOn = svc().depends_on ?? {};
      expect(Object.keys(dependsOn)).toEqual(expect.arrayContaining([...INFRA]));
      for (const [name, dep] of Object.entries(dependsOn)) {
        expect({ name, condition: dep.condition }).toEqual({ name, condition: 'service_healthy' });
        expect(service(name).healthcheck).toBeDefined();
      }
      if (app !== 'transaction-server') expect(Object.keys(dependsOn)).toContain('transaction-server');
      expect(svc().healthcheck?.test.join(' ')).toContain('/health/ready');
    });
  },
);

test('order-service is published on 18080 with fault injection off and a customer-JWT key', () => {
  const order = service('order-service');
  expect(publishedPorts(order)).toContainEqual({ host: 18080, container: 8080 });
  expect(order.environment?.ORDER_FAULT_INJECTION).toBe('false');
  expect(order.environment?.ORDER_CUSTOMER_JWT_PUBLIC_KEY).toBe(
    readFileSync(path.join(secretsDir, '.generated', 'customer-jwt.pub.pem'), 'utf8'),
  );
});

test('no published host port collides with the local stack', () => {
  const published = Object.entries(compose.services).flatMap(([name, svc]) =>
    publishedPorts(svc).map((p) => ({ name, host: p.host })),
  );
  expect(published.length).toBeGreaterThan(0);
  expect(published.filter((p) => LOCAL_STACK_PORTS.includes(p.host))).toEqual([]);
  const hosts = published.map((p) => p.host);
  expect(new Set(hosts).size).toBe(hosts.length);
});

test('every service restarts unless stopped', () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    expect({ name, restart: svc.restart }).toEqual({ name, restart: 'unless-stopped' });
  }
});

test('no credential is written in compose.yaml: every password and token is a variable', () => {
  expect(composeText).not.toMatch(/guest/);
  expect(composeText).not.toMatch(/postgres:\/\/postgres[:@]/);
  for (const [name, svc] of Object.entries(composeRaw.services)) {
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      if (/PASSWORD|TOKEN|_URL$|TRUSTED|_KEY$/.test(key) && !/CONSUL_URL/.test(key)) {
        expect({ name, key, fromVariable: /\$\{\w+:\?[^}]*\}/.test(String(value)) }).toEqual({
          name,
          key,
          fromVariable: true,
        });
      }
    }
  }
});

describe('docker/dev-secrets.sh', () => {
  const dir = secretsDir;
  const env = devSecrets;

  test('defines every variable compose.yaml uses, each once', () => {
    expect(composeVariables.filter((name) => !(name in env))).toEqual([]);
    expect(envFileLines.length).toBe(Object.keys(env).length);
  });

  test('generates 43-character random tokens and passwords, and trusted callers as sha256 digests', () => {
    const secrets = Object.entries(env).filter(([k]) => /^TRX_(TOKEN|PG_PASSWORD|AMQP_PASSWORD)_/.test(k));
    expect(secrets.length).toBe(13);
    for (const [, value] of secrets) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(secrets.map(([, v]) => v)).size).toBe(secrets.length);
    const digest = (token: string) => createHash('sha256').update(token).digest('hex');
    // Every app knows every identity (each route decides who may call it): 403, not 401.
    const all = ['transaction-server', 'order-service', 'account-service', 'product-service', 'operator']
      .map((id) => `${id}:${digest(env[`TRX_TOKEN_${id.toUpperCase().replace(/-/g, '_')}`] as string)}`)
      .join(',');
    for (const app of APPS) {
      expect({ app, trusted: env[appVariable('TRX_TRUSTED_CALLERS', app)] }).toEqual({ app, trusted: all });
    }
    // The token itself is in no list: verifiers hold digests only.
    expect(
      Object.entries(env).filter(
        ([k, v]) => /TRUSTED/.test(k) && v.includes(env.TRX_TOKEN_OPERATOR as string),
      ),
    ).toEqual([]);
  });

  test('broker users match the AMQP_URLs; only trx-coordinator may publish decision.*', () => {
    const definitions = JSON.parse(
      readFileSync(path.join(dir, '.generated', 'rabbitmq-definitions.json'), 'utf8'),
    ) as {
      users: { name: string; tags: string[] }[];
      topic_permissions: { user: string; write: string }[];
    };
    const users = definitions.users.map((u) => u.name);
    for (const app of APPS) {
      expect(users).toContain(new URL(service(app).environment?.AMQP_URL ?? '').username);
    }
    expect(users).not.toContain('guest');
    for (const p of definitions.topic_permissions) {
      const mayPublishDecision = new RegExp(p.write).test('decision.account-service');
      expect({ user: p.user, mayPublishDecision }).toEqual({
        user: p.user,
        mayPublishDecision: p.user === 'trx-coordinator',
      });
      expect(new RegExp(p.write).test('transaction.committed')).toBe(true);
    }
  });

  test('the Postgres init script makes each app role NOSUPERUSER, owner of its database only', () => {
    const script = readFileSync(path.join(DOCKER_DIR, 'postgres-init', '01-roles-and-databases.sh'), 'utf8');
    for (const app of APPS) {
      const role = new URL(service(app).environment?.DATABASE_URL ?? '').username;
      expect(script).toMatch(new RegExp(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`));
      expect(script).toMatch(new RegExp(`CREATE DATABASE ${role} OWNER ${role};`));
    }
    expect(script).toMatch(/REVOKE CONNECT ON DATABASE .* FROM PUBLIC/);
  });
});
