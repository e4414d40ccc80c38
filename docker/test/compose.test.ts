/**
 * Static checks of docker/compose.yaml (no Docker engine runs here): every service is there,
 * each app is built from docker/Dockerfile for an app that exists, and its environment,
 * published port and database match the app's configuration schema.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  APPS,
  REPO_ROOT,
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

const compose = parse(readFileSync(path.join(DOCKER_DIR, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

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
    const prepared = /max_prepared_transactions=(\d+)/.exec(commandText(postgres));
    expect(Number(prepared?.[1])).toBeGreaterThan(0);
    const connections = /max_connections=(\d+)/.exec(commandText(postgres));
    expect(Number(connections?.[1])).toBeGreaterThanOrEqual(Number(prepared?.[1]));

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

  test('rabbitmq runs the management plugin with AMQP and UI ports published', () => {
    const rabbitmq = service('rabbitmq');
    expect(rabbitmq.image).toMatch(/^rabbitmq:3\.\d+-management/);
    expect(publishedPorts(rabbitmq)).toEqual(
      expect.arrayContaining([
        { host: 5672, container: 5672 },
        { host: 15672, container: 15672 },
      ]),
    );
  });

  test('consul is a dev agent reachable from the other containers, UI on 8500', () => {
    const consul = service('consul');
    expect(consul.image).toMatch(/^hashicorp\/consul/);
    expect(commandText(consul)).toMatch(/agent\b.*-dev\b/);
    expect(commandText(consul)).toMatch(/-client[ =]0\.0\.0\.0/);
    expect(publishedPorts(consul)).toContainEqual({ host: 8500, container: 8500 });
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
      const unknown = Object.keys(env()).filter((name) => !keys.env.has(name));
      expect(unknown).toEqual([]);
      expect(Object.keys(env())).toEqual(
        expect.arrayContaining(['DATABASE_URL', 'AMQP_URL', 'CONSUL_URL', 'ADVERTISE_ADDRESS']),
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

    test('publishes the port it listens on', () => {
      const port = Number(env().PORT ?? defaultPort(keys));
      expect(publishedPorts(svc())).toContainEqual({ host: defaultPort(keys), container: port });
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

test('order-service is published on 8080 with fault injection off', () => {
  const order = service('order-service');
  expect(publishedPorts(order)).toContainEqual({ host: 8080, container: 8080 });
  expect(order.environment?.ORDER_FAULT_INJECTION).toBe('false');
});
