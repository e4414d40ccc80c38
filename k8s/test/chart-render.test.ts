/**
 * The chart rendered and validated here, without helm: k8s/test/render (Go text/template +
 * Debian's sprig, with helm's include, tpl, required, fail, toYaml, ...) renders k8s/trx for
 * the value sets of k8s/test/values, every object is checked against the Kubernetes API
 * schemas (kubernetes-models), the merged values against values.schema.json, and what the
 * objects say against what the apps and the credentials model expect. Value sets that must
 * not install (a missing secret, a `guest` password, ...) must fail with their message.
 * Where helm is on the PATH, `helm lint` and `helm template` run too.
 *
 * Needs `go` and sprig (bash scripts/ensure-chart-tools.sh installs them); skips otherwise.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { APPS, acceptsKey, appConfigKeys, type AppName } from '../../docker/test/app-config-keys';
import {
  CHART_DIR,
  VALUES_DIR,
  buildRenderer,
  parseManifests,
  renderChart,
  rendererUnavailable,
  runRenderer,
  type K8sObject,
} from './chart-render';
import { unknownFields } from './kube-strict';
import { validateObject } from './kube-validate';

type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: Record<string, Record<string, unknown>> }[];
  ports?: { name: string; containerPort: number }[];
  [key: string]: unknown;
};

const unavailable = rendererUnavailable();
const describeRender = unavailable ? describe.skip : describe;
const ciValues = parse(readFileSync(path.join(VALUES_DIR, 'ci.yaml'), 'utf8')) as {
  secrets: { tokens: Record<string, string>; postgresPasswords: Record<string, string> };
};
const camel = (app: string) => app.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Env var names set only for the chart's own use (not app configuration). */
const CHART_ONLY_ENV = ['HOST_IP'];

/** Every value set that must render; the name is the test's. */
const VALUE_SETS: Record<string, string[]> = {
  'default values (with the required credentials)': ['ci.yaml'],
  existingSecret: ['existing-secret.yaml'],
  'Consul on': ['ci.yaml', 'consul.yaml'],
  'NetworkPolicy off, HPA on': ['ci.yaml', 'hpa-no-networkpolicy.yaml'],
  'monitoring, Ingress, compat API, JWKS': ['ci.yaml', 'monitoring-ingress-compat.yaml'],
};

let renderer = '';
const rendered = new Map<string, K8sObject[]>();
function objects(set: string): K8sObject[] {
  if (!rendered.has(set)) rendered.set(set, renderChart(renderer, VALUE_SETS[set] as string[]));
  return rendered.get(set) as K8sObject[];
}
const ofKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const named = (objs: K8sObject[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const podSpec = (deployment: K8sObject) =>
  (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec;
const containerOf = (objs: K8sObject[], app: string) =>
  (podSpec(named(objs, 'Deployment', `trx-${app}`)).containers as Container[])[0] as Container;
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);
const secretData = (objs: K8sObject[]) => named(objs, 'Secret', 'trx').stringData as Record<string, string>;

describeRender(unavailable ? `chart render (skipped: ${unavailable})` : 'chart render', () => {
  beforeAll(() => {
    renderer = buildRenderer();
  }, 120_000);

  describe.each(Object.keys(VALUE_SETS))('%s', (set) => {
    test('every object is valid against the Kubernetes API schemas', () => {
      const objs = objects(set);
      expect(objs.length).toBeGreaterThan(10);
      expect(objs.flatMap(validateObject)).toEqual([]);
      for (const obj of objs) expect(obj.metadata.name.length).toBeLessThanOrEqual(63);
    });

    test('no field the Kubernetes API does not know, no wrong type (TypeScript excess-property check)', () => {
      expect(unknownFields(objects(set))).toEqual([]);
    }, 60_000);

    test('the merged values satisfy values.schema.json', () => {
      const result = runRenderer(renderer, VALUE_SETS[set] as string[], [], ['--dump-values']);
      expect(result.stderr).toBe('');
      const schema = JSON.parse(readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as object;
      const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
      expect(validate(JSON.parse(result.stdout)) ? [] : validate.errors).toEqual([]);
    });

    test.each(APPS)('%s: sets only keys its configuration has (or issue 12 adds)', async (app) => {
      const keys = await appConfigKeys(app);
      const objs = objects(set);
      const names = [
        ...(containerOf(objs, app).env ?? []).map((e) => e.name),
        ...Object.keys(named(objs, 'ConfigMap', `trx-${app}`).data as object),
      ].filter((name) => !CHART_ONLY_ENV.includes(name));
      expect(names.filter((name) => !acceptsKey(keys, name))).toEqual([]);
      const data = named(objs, 'ConfigMap', `trx-${app}`).data as Record<string, string>;
      expect(keys.problems(data)).toEqual([]);
    });

    test('every Secret key a pod reads without `optional` exists (when the chart makes the Secret)', () => {
      const objs = objects(set);
      const secret = objs.find((o) => o.kind === 'Secret');
      const refs = ofKind(objs, 'Deployment')
        .flatMap((d) => (podSpec(d).containers as Container[]).flatMap((c) => c.env ?? []))
        .map(
          (e) => e.valueFrom?.secretKeyRef as { name: string; key: string; optional?: boolean } | undefined,
        )
        .filter((ref): ref is { name: string; key: string; optional?: boolean } => ref !== undefined);
      expect(refs.length).toBeGreaterThan(0);
      if (!secret) return;
      const keys = Object.keys(secret.stringData as object);
      expect(refs.filter((r) => !r.optional && !keys.includes(r.key)).map((r) => r.key)).toEqual([]);
      expect(new Set(refs.map((r) => r.name))).toEqual(new Set([secret.metadata.name]));
    });

    test('NOTES.txt renders', () => {
      const notes = runRenderer(renderer, VALUE_SETS[set] as string[], [], ['--notes']);
      expect(notes.stderr).toBe('');
      expect(notes.stdout).toContain('port-forward svc/trx-order-service');
    });
  });

  describe('default values', () => {
    const set = 'default values (with the required credentials)';

    test('the platform: 4 Deployments, Services, ConfigMaps, PDBs, NetworkPolicies, 1 Secret, a test pod', () => {
      const objs = objects(set);
      const count = (kind: string) => ofKind(objs, kind).length;
      expect({
        Deployment: count('Deployment'),
        Service: count('Service'),
        ConfigMap: count('ConfigMap'),
        PodDisruptionBudget: count('PodDisruptionBudget'),
        NetworkPolicy: count('NetworkPolicy'),
        Secret: count('Secret'),
        Pod: count('Pod'),
        HorizontalPodAutoscaler: count('HorizontalPodAutoscaler'),
        Ingress: count('Ingress'),
      }).toEqual({
        Deployment: 4,
        Service: 4,
        ConfigMap: 4,
        PodDisruptionBudget: 4,
        NetworkPolicy: 4,
        Secret: 1,
        Pod: 1,
        HorizontalPodAutoscaler: 0,
        Ingress: 0,
      });
    });

    test('static discovery: SERVICE_URLS names this release Services and ports; no Consul', () => {
      const objs = objects(set);
      const services = Object.fromEntries(
        ofKind(objs, 'Service').map((s) => [
          s.metadata.name,
          (s.spec as { ports: { port: number }[] }).ports[0]?.port,
        ]),
      );
      for (const app of APPS) {
        const data = named(objs, 'ConfigMap', `trx-${app}`).data as Record<string, string>;
        const urls = Object.fromEntries(data.SERVICE_URLS!.split(',').map((e) => e.split('=')));
        expect(Object.keys(urls).sort()).toEqual([...APPS].sort());
        for (const [name, url] of Object.entries(urls)) {
          const u = new URL(url as string);
          expect({ name, port: Number(u.port) }).toEqual({ name, port: services[u.hostname] });
        }
        expect(data.CONSUL_URL).toBeUndefined();
        expect(envOf(containerOf(objs, app), 'CONSUL_URL')).toBeUndefined();
      }
    });

    test.each(APPS)('%s: its own Postgres role and broker user, names and passwords URL-escaped', (app) => {
      const data = secretData(objects(set));
      const db = new URL(data[`${app}-database-url`] as string);
      const model = {
        'transaction-server': 'coordinator',
        'order-service': 'order',
        'account-service': 'account',
        'product-service': 'product',
      }[app];
      expect(db.username).toBe(`trx_${model}`);
      expect(decodeURIComponent(db.password)).toBe(ciValues.secrets.postgresPasswords[camel(app)]);
      expect(db.pathname).toBe(`/trx_${model}`);
      const mq = new URL(data[`${app}-amqp-url`] as string);
      expect(mq.username).toBe(`trx-${model}`);
      expect(mq.pathname).toBe('/trx');
    });

    test('a password with a space, slash, plus and é is percent-encoded (%20, not +)', () => {
      const url = secretData(objects(set))['transaction-server-database-url'] as string;
      expect(url).toContain(':pg%20pass%2F1%2B%C3%A9@');
    });

    test('TRX_TRUSTED_CALLERS: sha256 of the tokens; every app knows every identity (routes decide who may call)', () => {
      const data = secretData(objects(set));
      const tokens = ciValues.secrets.tokens;
      const entry = (identity: string) => `${identity}:${sha256(tokens[camel(identity)] as string)}`;
      const trusted = (app: AppName) => (data[`${app}-trusted-callers`] as string).split(',').sort();
      const identities = [
        'transaction-server',
        'order-service',
        'account-service',
        'product-service',
        'operator',
      ];
      for (const app of APPS) {
        expect({ app, trusted: trusted(app) }).toEqual({ app, trusted: identities.map(entry).sort() });
      }
      for (const app of APPS) {
        expect(data[`${app}-service-token`]).toBe(tokens[camel(app)]);
        expect(envOf(containerOf(objects(set), app), 'TRX_SERVICE_TOKEN')?.valueFrom?.secretKeyRef?.key).toBe(
          `${app}-service-token`,
        );
      }
      // Verifiers hold digests only: no app gets another app's token.
      expect(Object.values(data).filter((v) => v.includes(tokens.orderService as string))).toHaveLength(1);
    });

    test('images: <registry>/trx/<app>:<appVersion>', () => {
      const chart = parse(readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
      for (const app of APPS) {
        expect(containerOf(objects(set), app).image).toBe(
          `registry.example.com/trx/${app}:${chart.appVersion}`,
        );
      }
    });

    test('probes: startup, readiness without the coordinator, liveness; preStop sleep within the grace period', () => {
      for (const app of APPS) {
        const objs = objects(set);
        const c = containerOf(objs, app);
        expect(c.startupProbe).toMatchObject({ httpGet: { path: '/health/live' }, failureThreshold: 60 });
        expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/health/ready?ignore=coordinator' } });
        expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/health/live' } });
        const sleep = Number(
          (c.lifecycle as { preStop: { exec: { command: string[] } } }).preStop.exec.command[1],
        );
        const data = named(objs, 'ConfigMap', `trx-${app}`).data as Record<string, string>;
        const grace = podSpec(named(objs, 'Deployment', `trx-${app}`))
          .terminationGracePeriodSeconds as number;
        expect(grace).toBeGreaterThanOrEqual(sleep + Number(data.SHUTDOWN_TIMEOUT_MS) / 1000);
      }
    });

    test('Postgres connections at the default replicas and pool sizes stay under max_connections = 100', () => {
      // Per replica: the coordinator DB_POOL_SIZE + max(2, ceil(DB_POOL_SIZE / 2)) (its
      // asynchronous-commit pool), every participant DB_POOL_SIZE + 2 (its finisher pool).
      const objs = objects(set);
      let total = 0;
      for (const app of APPS) {
        const pool = Number(
          (named(objs, 'ConfigMap', `trx-${app}`).data as Record<string, string>).DB_POOL_SIZE,
        );
        const replicas = (named(objs, 'Deployment', `trx-${app}`).spec as { replicas: number }).replicas;
        total += replicas * (pool + (app === 'transaction-server' ? Math.max(2, Math.ceil(pool / 2)) : 2));
      }
      expect(total).toBeLessThanOrEqual(100 - 3); // superuser_reserved_connections
      const readme = readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
      expect(readme).toContain(`= ${total}`);
    });

    test('NetworkPolicy: the participants take calls from the order-service only, the coordinator from the apps; DNS egress', () => {
      const objs = objects(set);
      type Rule = {
        from?: { podSelector?: { matchExpressions?: { key: string; values: string[] }[] } }[];
        ports: { port: number | string }[];
      };
      const callers = (app: string) => {
        const spec = named(objs, 'NetworkPolicy', `trx-${app}`).spec as { ingress: Rule[]; egress: Rule[] };
        const rule = spec.ingress.find((r) => r.ports.some((p) => p.port === 'http')) as Rule;
        if (!rule.from) return 'anyone';
        return rule.from
          .flatMap((peer) => peer.podSelector?.matchExpressions ?? [])
          .filter((e) => e.key === 'app.kubernetes.io/component')
          .flatMap((e) => e.values)
          .sort();
      };
      expect(callers('account-service')).toEqual(['order-service']);
      expect(callers('product-service')).toEqual(['order-service']);
      expect(callers('transaction-server')).toEqual([...APPS].sort());
      expect(callers('order-service')).toBe('anyone');
      for (const app of APPS) {
        const egress = (named(objs, 'NetworkPolicy', `trx-${app}`).spec as { egress: Rule[] }).egress;
        expect(egress.flatMap((r) => r.ports.map((p) => p.port))).toEqual(
          expect.arrayContaining([53, 5432, 5672]),
        );
      }
    });

    test('helm test pod: a test hook in the order-service image, allowed by the NetworkPolicies', () => {
      const pod = named(objects(set), 'Pod', 'trx-test');
      expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
      expect(pod.metadata.labels?.['app.kubernetes.io/component']).toBe('test');
      const c = (pod.spec as { containers: Container[] }).containers[0] as Container;
      expect(c.image).toBe(containerOf(objects(set), 'order-service').image);
      expect((c.command as string[]).slice(0, 2)).toEqual(['node', '-e']);
      expect(envOf(c, 'CUSTOMER_TOKEN')).toBeUndefined();
    });
  });

  test('existingSecret: no chart Secret, every reference names the existing one, no credential needed', () => {
    const objs = objects('existingSecret');
    expect(ofKind(objs, 'Secret')).toEqual([]);
    const text = JSON.stringify(ofKind(objs, 'Deployment'));
    expect(text).toContain('"name":"trx-credentials"');
    expect(containerOf(objs, 'account-service').image).toBe('registry.example.com/trx/account-service:1.2.3');
  });

  test('Consul on: CONSUL_URL from the node agent ($(HOST_IP) defined before it), its token, egress to 8500; a pinned digest', () => {
    const objs = objects('Consul on');
    for (const app of APPS) {
      const names = (containerOf(objs, app).env ?? []).map((e) => e.name);
      expect(names.indexOf('HOST_IP')).toBeGreaterThanOrEqual(0);
      expect(names.indexOf('HOST_IP')).toBeLessThan(names.indexOf('CONSUL_URL'));
      expect(envOf(containerOf(objs, app), 'CONSUL_URL')?.value).toBe('http://$(HOST_IP):8500');
      expect(envOf(containerOf(objs, app), 'CONSUL_TOKEN')?.valueFrom?.secretKeyRef?.key).toBe(
        'consul-token',
      );
      expect(JSON.stringify(named(objs, 'NetworkPolicy', `trx-${app}`).spec)).toContain('"port":8500');
    }
    expect(secretData(objs)['consul-token']).toBe('00000000-0000-0000-0000-000000000001');
    expect(containerOf(objs, 'order-service').image).toMatch(
      /^registry\.example\.com\/trx\/order-service:[\w.]+@sha256:[0-9a-f]{64}$/,
    );
  });

  test('NetworkPolicy off, HPA on: an HPA per Deployment, no replicas field, no policies; a rotated token stays trusted', () => {
    const objs = objects('NetworkPolicy off, HPA on');
    expect(ofKind(objs, 'NetworkPolicy')).toEqual([]);
    const hpas = ofKind(objs, 'HorizontalPodAutoscaler');
    expect(
      hpas.map((h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).sort(),
    ).toEqual(
      ofKind(objs, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    );
    for (const d of ofKind(objs, 'Deployment')) expect(d.spec).not.toHaveProperty('replicas');
    // orderServicePrevious is set: every app (all know every identity) trusts the old token too.
    const data = secretData(objs);
    const previous = (
      parse(readFileSync(path.join(VALUES_DIR, 'hpa-no-networkpolicy.yaml'), 'utf8')) as {
        secrets: { tokens: { orderServicePrevious: string } };
      }
    ).secrets.tokens.orderServicePrevious;
    expect(previous).toBeTruthy();
    for (const app of APPS) {
      const trusted = (data[`${app}-trusted-callers`] as string).split(',');
      expect({ app, entries: trusted.filter((e) => e.startsWith('order-service:')) }).toEqual({
        app,
        entries: [
          `order-service:${sha256(ciValues.secrets.tokens.orderService as string)}`,
          `order-service:${sha256(previous)}`,
        ],
      });
      expect(trusted.filter((e) => !e.startsWith('order-service:'))).toHaveLength(4);
    }
    expect(Object.values(data).filter((v) => v.includes(previous))).toEqual([]);
  });

  test('monitoring on: ServiceMonitor, the rules file as PrometheusRule, the dashboard, an Ingress to /orders, the compat API, a JWKS', () => {
    const objs = objects('monitoring, Ingress, compat API, JWKS');
    const rules = parse(
      readFileSync(path.join(CHART_DIR, 'files', 'prometheus', 'trx-alerts.rules.yaml'), 'utf8'),
    ) as object;
    expect(named(objs, 'PrometheusRule', 'trx').spec).toEqual(rules);
    expect(named(objs, 'ServiceMonitor', 'trx').metadata.labels?.release).toBe('kube-prometheus-stack');
    const dashboard = named(objs, 'ConfigMap', 'trx-dashboard').data as Record<string, string>;
    expect(JSON.parse(dashboard['trx-dashboard.json'] as string)).toMatchObject({ uid: 'trx-overview' });
    expect(JSON.stringify(named(objs, 'Ingress', 'trx-order-service').spec)).toContain('"path":"/orders"');
    const coordinator = containerOf(objs, 'transaction-server');
    expect(coordinator.ports?.map((p) => p.name)).toEqual(['http', 'compat']);
    expect(
      (named(objs, 'ConfigMap', 'trx-transaction-server').data as Record<string, string>).TRX_COMPAT_LISTEN,
    ).toBe('0.0.0.0:8889');
    expect(JSON.stringify(named(objs, 'NetworkPolicy', 'trx-transaction-server').spec)).toContain(
      '"team":"legacy"',
    );
    expect(named(objs, 'Service', 'trx-transaction-server-compat')).toBeDefined();
    expect(
      (named(objs, 'ConfigMap', 'trx-order-service').data as Record<string, string>).ORDER_CUSTOMER_JWKS_URL,
    ).toBe('https://auth.example.com/.well-known/jwks.json');
    expect(secretData(objs)).not.toHaveProperty('customer-jwt-public-key');
    const pod = named(objs, 'Pod', 'trx-test');
    expect(
      envOf((pod.spec as { containers: Container[] }).containers[0] as Container, 'CUSTOMER_TOKEN'),
    ).toBeDefined();
  });

  test.each([
    ['the bare defaults (no credentials, no registry)', [], [], /is required/],
    ['no image registry', ['ci.yaml'], ['image.registry='], /image\.registry is required/],
    [
      'a service token missing',
      ['ci.yaml'],
      ['secrets.tokens.accountService='],
      /secrets\.tokens\.accountService is required/,
    ],
    [
      'the operator token missing',
      ['ci.yaml'],
      ['secrets.tokens.operator='],
      /secrets\.tokens\.operator is required/,
    ],
    [
      'a token shorter than 32 characters',
      ['ci.yaml'],
      ['secrets.tokens.productService=short'],
      /at least 32 characters/,
    ],
    [
      'a Postgres password missing',
      ['ci.yaml'],
      ['secrets.postgresPasswords.orderService='],
      /secrets\.postgresPasswords\.orderService is required/,
    ],
    [
      'a Postgres user missing',
      ['ci.yaml'],
      ['postgres.users.accountService='],
      /postgres\.users\.accountService is required/,
    ],
    [
      'a broker password "guest"',
      ['ci.yaml'],
      ['secrets.rabbitmqPasswords.productService=guest'],
      /may not be "guest"/,
    ],
    [
      'a Postgres password "Guest"',
      ['ci.yaml'],
      ['secrets.postgresPasswords.orderService=Guest'],
      /may not be "guest"/,
    ],
    ['no Postgres host', ['ci.yaml'], ['postgres.host='], /postgres\.host is required/],
    [
      'no customer-JWT key and no JWKS',
      ['ci.yaml'],
      ['secrets.customerJwtPublicKey='],
      /customerJwtPublicKey \(PEM\) or customerJwt\.jwksUrl is required/,
    ],
    [
      'a grace period shorter than preStop + shutdown',
      ['ci.yaml'],
      ['terminationGracePeriodSeconds=10'],
      /terminationGracePeriodSeconds \(10\) must be at least/,
    ],
  ])('refuses to render with %s', (_name, files, sets, message) => {
    const result = runRenderer(renderer, files as string[], sets as string[]);
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(message as RegExp);
  });

  test('the renderer has the helm functions include, tpl, required, toYaml, fromYaml, lookup, .Files, .Capabilities, .Release', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trx-render-fixture-'));
    try {
      mkdirSync(path.join(dir, 'templates'));
      mkdirSync(path.join(dir, 'files'));
      writeFileSync(
        path.join(dir, 'Chart.yaml'),
        'apiVersion: v2\nname: fixture\nversion: 1.2.3\nappVersion: "9.9"\n',
      );
      writeFileSync(
        path.join(dir, 'values.yaml'),
        'greeting: hello {{ .Release.Name }}\nmap:\n  b: 2\n  a: [1, x]\nneeded: ""\n',
      );
      writeFileSync(path.join(dir, 'files', 'data.yaml'), 'k: v\n');
      writeFileSync(
        path.join(dir, 'templates', '_h.tpl'),
        '{{- define "fx.name" -}}{{ .Chart.Name }}-{{ .Release.Namespace }}{{- end -}}',
      );
      writeFileSync(
        path.join(dir, 'templates', 'cm.yaml'),
        [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: {{ include "fx.name" . }}',
          'data:',
          '  tpl: {{ tpl .Values.greeting . | quote }}',
          '  yaml: {{ toYaml .Values.map | quote }}',
          '  fromYaml: {{ (.Files.Get "files/data.yaml" | fromYaml).k | quote }}',
          '  lookup: {{ lookup "v1" "Secret" "ns" "x" | len | quote }}',
          '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
          '  hasPolicy: {{ .Capabilities.APIVersions.Has "policy/v1" | quote }}',
          '  hasMonitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}',
          '  chart: {{ printf "%s-%s" .Chart.Version .Chart.AppVersion | quote }}',
          '  missing: "{{ .Values.nothing }}"',
          '  needed: {{ required "needed is required" .Values.needed | quote }}',
        ].join('\n'),
      );
      const run = (...extra: string[]) =>
        spawnSync(renderer, ['--chart', dir, '--name', 'rel', '--namespace', 'ns', ...extra], {
          encoding: 'utf8',
        });
      expect(run().stderr).toContain('needed is required');
      const ok = run('--set', 'needed=yes');
      expect(ok.stderr).toBe('');
      expect(parseManifests(ok.stdout)).toEqual([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'fixture-ns' },
          data: {
            tpl: 'hello rel',
            yaml: 'a:\n- 1\n- x\nb: 2',
            fromYaml: 'v',
            lookup: '0',
            kube: 'v1.30.0',
            hasPolicy: 'true',
            hasMonitoring: 'false',
            chart: '1.2.3-9.9',
            missing: '',
            needed: 'yes',
          },
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the unknown-field check names a misspelt field', () => {
    const objs = structuredClone(objects('default values (with the required credentials)'));
    const deployment = objs.find((o) => o.kind === 'Deployment') as K8sObject;
    (podSpec(deployment).containers as Container[])[0]!.readinesProbe = {};
    expect(unknownFields(objs)).toEqual([
      expect.stringMatching(/^Deployment\/trx-\S+: .*'"readinesProbe"' does not exist/),
    ]);
  }, 60_000);

  test('--set overrides a values file (the renderer itself)', () => {
    const objs = renderChart(renderer, ['ci.yaml'], ['apps.order-service.replicas=3']);
    expect((named(objs, 'Deployment', 'trx-order-service').spec as { replicas: number }).replicas).toBe(3);
    expect(parseManifests('---\n# only a comment\n')).toEqual([]);
  });
});

function helmUnavailable(): string | null {
  return spawnSync('helm', ['version', '--short']).status === 0 ? null : 'no helm binary on the PATH';
}
const noHelm = helmUnavailable();
const describeHelm = noHelm ? describe.skip : describe;

describeHelm(noHelm ? `helm (skipped: ${noHelm})` : 'helm', () => {
  const helm = (...args: string[]) => execFileSync('helm', args, { encoding: 'utf8' });
  const values = (...files: string[]) => files.flatMap((f) => ['-f', path.join(VALUES_DIR, f)]);

  test('helm lint --strict passes with the required credentials', () => {
    expect(() => helm('lint', '--strict', CHART_DIR, ...values('ci.yaml'))).not.toThrow();
  });

  test.each(Object.entries(VALUE_SETS))(
    'helm template renders %s, and every object validates',
    (_set, files) => {
      const objs = parseManifests(
        helm('template', 'trx', CHART_DIR, '--namespace', 'trx', ...values(...files)),
      );
      expect(objs.flatMap(validateObject)).toEqual([]);
    },
  );

  test('helm refuses the bare defaults', () => {
    expect(() => helm('template', 'trx', CHART_DIR)).toThrow(/is required/);
  });
});
