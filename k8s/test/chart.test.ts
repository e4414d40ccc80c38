/**
 * Checks of the Helm chart k8s/trx that need no rendering: values.yaml satisfies
 * values.schema.json, every template is valid YAML once its actions are stripped, every
 * `.Values` path a template reads exists, and the objects carry the probes, identity and
 * settings the apps expect. Rendering, schema validation and helm: chart-render.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import {
  APPS,
  REPO_ROOT,
  acceptsKey,
  appConfigKeys,
  defaultDatabase,
  defaultPort,
} from '../../docker/test/app-config-keys';
import {
  blockBalance,
  forApp,
  hasPath,
  stripActions,
  unbalancedActionLines,
  valuesPaths,
} from './chart-template';

const CHART_DIR = path.join(REPO_ROOT, 'k8s', 'trx');
const TEMPLATES_DIR = path.join(CHART_DIR, 'templates');

type Obj = Record<string, unknown> & { kind?: string; apiVersion?: string; metadata?: { name?: unknown } };
type AppValues = {
  image: { repository: string; tag: string };
  replicas: number;
  port: number;
  database: string;
  config: Record<string, unknown>;
};

const read = (file: string) => readFileSync(path.join(CHART_DIR, file), 'utf8');
const values = parse(read('values.yaml')) as Record<string, unknown> & {
  apps: Record<string, AppValues>;
  config: Record<string, unknown>;
};
/** Template files relative to templates/ (tests/ included). */
const templateFiles = (readdirSync(TEMPLATES_DIR, { recursive: true }) as string[])
  .filter((f) => /\.(ya?ml|tpl|txt)$/.test(f))
  .sort();
const yamlTemplates = templateFiles.filter((f) => /\.ya?ml$/.test(f));
const templateText = (file: string) => readFileSync(path.join(TEMPLATES_DIR, file), 'utf8');

/** The objects of a template, actions stripped; fails on YAML errors. */
function strippedObjects(file: string): Obj[] {
  const docs = parseAllDocuments(stripActions(templateText(file)));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return list.map((doc) => doc.toJS() as Obj).filter((obj) => obj !== null);
}

function objectsOfKind(kind: string): Obj[] {
  return yamlTemplates.flatMap(strippedObjects).filter((obj) => obj.kind === kind);
}

function at(obj: unknown, ...keys: (string | number)[]): unknown {
  return keys.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
    obj,
  );
}

describe('Chart.yaml', () => {
  const chart = parse(read('Chart.yaml')) as Record<string, unknown>;
  test('is an apiVersion v2 application chart with name, version and appVersion', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'trx', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(?:-[\w.]+)?$/);
    expect(typeof chart.appVersion).toBe('string');
  });
});

describe('values', () => {
  const schema = JSON.parse(read('values.schema.json')) as object;
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

  test('values.yaml satisfies values.schema.json', () => {
    expect(validate(values) ? [] : validate.errors).toEqual([]);
  });

  test('the schema rejects a misspelt key and a wrong type', () => {
    const typo = structuredClone(values) as { apps: Record<string, Record<string, unknown>> };
    (typo.apps['order-service'] as Record<string, unknown>).replica = 3;
    expect(validate(typo)).toBe(false);
    const wrongType = structuredClone(values) as { apps: Record<string, Record<string, unknown>> };
    (wrongType.apps['account-service'] as Record<string, unknown>).replicas = 'two';
    expect(validate(wrongType)).toBe(false);
  });

  test('names the four apps, two replicas each by default', () => {
    expect(Object.keys(values.apps).sort()).toEqual([...APPS].sort());
    for (const app of APPS)
      expect({ app, replicas: values.apps[app]?.replicas }).toEqual({ app, replicas: 2 });
  });

  test.each(APPS)('%s: port, database and settings match its configuration', async (app) => {
    const keys = await appConfigKeys(app);
    const appValues = values.apps[app] as AppValues;
    expect(appValues.port).toBe(defaultPort(keys));
    expect(appValues.database).toBe(defaultDatabase(keys));
    expect(appValues.image.repository).toMatch(new RegExp(`${app}$`));
    const settings = { ...values.config, ...appValues.config };
    expect(Object.keys(settings).filter((name) => !keys.env.has(name))).toEqual([]);
    const asEnv = Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, String(value)]));
    expect(keys.problems(asEnv)).toEqual([]);
  });
});

describe('templates', () => {
  test('the chart has the templates a user expects', () => {
    expect(templateFiles).toEqual(expect.arrayContaining(['_helpers.tpl', 'NOTES.txt']));
    const kinds = new Set(yamlTemplates.flatMap(strippedObjects).map((obj) => obj.kind));
    expect([...kinds].sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Secret',
      'Service',
      'ServiceMonitor',
    ]);
  });

  test.each(templateFiles)('%s: every action is on one line and every block is closed', (file) => {
    const text = templateText(file);
    expect(unbalancedActionLines(text)).toEqual([]);
    const { opened, ended } = blockBalance(text);
    expect(ended).toBe(opened);
  });

  test.each(yamlTemplates)('%s: is valid YAML of Kubernetes objects once actions are stripped', (file) => {
    const objects = strippedObjects(file);
    expect(objects.length).toBeGreaterThan(0);
    for (const obj of objects) {
      expect(typeof obj.apiVersion).toBe('string');
      expect(typeof obj.kind).toBe('string');
      expect(obj.metadata?.name).toBeDefined();
    }
  });

  test.each(templateFiles)('%s: every value it reads exists in values.yaml', (file) => {
    const missing = valuesPaths(templateText(file))
      .filter((p) => !hasPath(values, p))
      .map((p) => `.Values.${p.join('.')}`);
    expect(missing).toEqual([]);
  });

  test('every top-level value is read by some template', () => {
    const read = new Set(templateFiles.flatMap((f) => valuesPaths(templateText(f)).map((p) => p[0])));
    expect(Object.keys(values).filter((key) => !read.has(key))).toEqual([]);
  });
});

describe('objects', () => {
  const deployment = () => objectsOfKind('Deployment')[0] as Obj;
  const container = () => at(deployment(), 'spec', 'template', 'spec', 'containers', 0) as Obj;
  const envOf = (name: string) =>
    (container().env as { name: string; value?: unknown; valueFrom?: unknown }[]).find(
      (e) => e.name === name,
    );

  test('Deployment: readiness on /health/ready, liveness on /health/live, on the http port', () => {
    // The readiness path is a value (without the coordinator check): chart-render.test.ts reads it rendered.
    expect(at(values, 'probes', 'readinessPath')).toBe('/health/ready?ignore=coordinator');
    expect(at(container(), 'readinessProbe', 'httpGet', 'port')).toBe('http');
    expect(at(container(), 'livenessProbe', 'httpGet')).toEqual({ path: '/health/live', port: 'http' });
    expect(at(container(), 'ports', 0, 'name')).toBe('http');
  });

  test('Deployment: replica identity from the pod, secrets from the Secret', () => {
    expect(envOf('INSTANCE_ID')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(envOf('ADVERTISE_ADDRESS')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    for (const name of [
      'DATABASE_URL',
      'AMQP_URL',
      'CONSUL_TOKEN',
      'TRX_SERVICE_TOKEN',
      'TRX_TRUSTED_CALLERS',
    ]) {
      expect({ name, from: Object.keys(envOf(name)?.valueFrom ?? {}) }).toEqual({
        name,
        from: ['secretKeyRef'],
      });
    }
  });

  test('Deployment: runs as non-root with resources set', () => {
    expect(at(values, 'podSecurityContext', 'runAsNonRoot')).toBe(true);
    expect(Number(at(values, 'podSecurityContext', 'runAsUser'))).toBeGreaterThan(0);
    expect(at(values, 'containerSecurityContext', 'allowPrivilegeEscalation')).toBe(false);
    expect(at(deployment(), 'spec', 'template', 'spec')).toHaveProperty('securityContext');
    expect(container()).toHaveProperty('securityContext');
    expect(container()).toHaveProperty('resources');
    for (const app of APPS) {
      expect(at(values, 'apps', app, 'resources', 'requests')).toBeDefined();
      expect(at(values, 'apps', app, 'resources', 'limits')).toBeDefined();
    }
  });

  test.each(APPS)(
    '%s: the environment names the templates set for it are its configuration keys',
    async (app) => {
      // Each app's view of the templates: blocks under `if eq/ne $name "<app>"` as that app takes them.
      const objs = yamlTemplates
        .flatMap((file) => parseAllDocuments(stripActions(forApp(templateText(file), app))))
        .map((doc) => doc.toJS() as Obj)
        .filter((obj) => obj !== null);
      const appContainer = at(
        objs.find((obj) => obj.kind === 'Deployment'),
        'spec',
        'template',
        'spec',
        'containers',
        0,
      ) as Obj;
      const names = [
        ...(appContainer.env as { name: string }[]).map((e) => e.name),
        ...objs
          .filter((obj) => obj.kind === 'ConfigMap' && !String(obj.metadata?.name).endsWith('-dashboard'))
          .flatMap((cm) => Object.keys((cm.data as object) ?? {})),
      ].filter((name) => !/__T\d+__/.test(name) && name !== 'HOST_IP');
      expect(names).toEqual(
        expect.arrayContaining(['TRX_SERVICE_TOKEN', 'TRX_TRUSTED_CALLERS', 'TRX_EXCHANGE']),
      );
      const keys = await appConfigKeys(app);
      expect(names.filter((name) => !acceptsKey(keys, name))).toEqual([]);
    },
  );

  test('every Secret key the Deployment reads is written by the Secret', () => {
    const normalise = (key: string) => key.replace(/__T\d+__/g, '<name>');
    const secretKeys = Object.keys((objectsOfKind('Secret')[0]?.stringData as object) ?? {}).map(normalise);
    const readKeys = (container().env as { valueFrom?: { secretKeyRef?: { key: string } } }[])
      .map((e) => e.valueFrom?.secretKeyRef?.key)
      .filter((key): key is string => key !== undefined)
      .map(normalise);
    expect(readKeys.length).toBeGreaterThan(0);
    expect(readKeys.filter((key) => !secretKeys.includes(key))).toEqual([]);
  });

  test('PodDisruptionBudget is policy/v1 and Services are configurable per app', () => {
    expect(objectsOfKind('PodDisruptionBudget')[0]?.apiVersion).toBe('policy/v1');
    expect(templateText('service.yaml')).toContain('type: {{ $app.service.type }}');
    expect(at(values, 'apps', 'order-service', 'service', 'type')).toBe('ClusterIP');
  });

  test('NOTES.txt tells how to reach the order-service and place an order', () => {
    const notes = templateText('NOTES.txt');
    expect(notes).toContain('port-forward svc/');
    expect(notes).toMatch(/curl -X POST localhost:8080\/orders/);
    expect(notes).toContain('authorization: Bearer');
  });
});
