/**
 * The configuration keys each app accepts, for the deployment checks (docker/ and k8s/):
 * taken from the app's own `configSpec` (apps/<app>/src/config.ts) when the app has one,
 * otherwise from the configuration tables of docs/architecture.md.
 *
 * @example
 *   const keys = await appConfigKeys('order-service');
 *   keys.env.has('ORDER_FAULT_INJECTION'); // true
 *   keys.defaults.get('PORT');              // 8080
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const APPS = ['transaction-server', 'order-service', 'account-service', 'product-service'] as const;
export type AppName = (typeof APPS)[number];

/** Whether an app accepts an environment key: its configuration schema has it. */
export function acceptsKey(keys: AppConfigKeys, name: string): boolean {
  return keys.env.has(name);
}

/** The databases of the credentials model, for when DATABASE_URL has no default (issue 12). */
const MODEL_DATABASES: Record<AppName, string> = {
  'transaction-server': 'trx_coordinator',
  'order-service': 'trx_order',
  'account-service': 'trx_account',
  'product-service': 'trx_product',
};

export interface AppConfigKeys {
  app: AppName;
  /** Where the keys came from. */
  source: 'configSpec' | 'docs/architecture.md';
  /** Env var name → default value. */
  defaults: Map<string, unknown>;
  env: Set<string>;
  /**
   * Problems of these settings under the app's schemas ("ENV: message"); values are strings,
   * as in an environment. Without a configSpec only the names can be checked: returns [].
   */
  problems(settings: Record<string, string>): string[];
}

interface SpecEntry {
  env: string;
  default: unknown;
  schema?: { safeParse(value: unknown): { success: boolean; error?: { message: string } } };
}

export function configModulePath(app: AppName): string {
  return path.join(REPO_ROOT, 'apps', app, 'src', 'config.ts');
}

export function configSource(app: AppName): AppConfigKeys['source'] {
  return existsSync(configModulePath(app)) ? 'configSpec' : 'docs/architecture.md';
}

export async function appConfigKeys(app: AppName): Promise<AppConfigKeys> {
  if (configSource(app) === 'docs/architecture.md') {
    const defaults = fromArchitectureDoc(app);
    return {
      app,
      source: 'docs/architecture.md',
      defaults,
      env: new Set(defaults.keys()),
      problems: () => [],
    };
  }
  const entries = await specEntries(app);
  const defaults = new Map(entries.map((entry) => [entry.env, entry.default]));
  const problems = (settings: Record<string, string>) =>
    entries.flatMap((entry) => {
      const value = settings[entry.env];
      if (value === undefined || value === '' || !entry.schema) return [];
      const result = entry.schema.safeParse(value);
      return result.success ? [] : [`${entry.env}: ${result.error?.message ?? 'invalid'}`];
    });
  return { app, source: 'configSpec', defaults, env: new Set(defaults.keys()), problems };
}

async function specEntries(app: AppName): Promise<SpecEntry[]> {
  const mod = (await import(configModulePath(app))) as { configSpec?: Record<string, SpecEntry> };
  if (!mod.configSpec) throw new Error(`apps/${app}/src/config.ts does not export configSpec`);
  return Object.values(mod.configSpec);
}

/**
 * Reads the tables under "Common to every app:", "<app>:" and "Participants (...):". The
 * PORT row lists the four defaults in the order of APPS ("8888 / 8080 / 8081 / 8082").
 */
export function fromArchitectureDoc(app: AppName): Map<string, unknown> {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Configuration'));
  const defaults = new Map<string, unknown>();
  let heading = '';
  for (const line of section.split('\n')) {
    const row = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(.*?)\s*\|/.exec(line);
    if (!row) {
      if (line.trim() && !line.startsWith('|')) heading = line.trim();
      continue;
    }
    if (!headingCovers(heading, app)) continue;
    const [, env, rawDefault] = row as unknown as [string, string, string];
    defaults.set(env, perAppDefault(env, rawDefault, app) ?? parseDocDefault(rawDefault));
  }
  if (!defaults.has('PORT')) throw new Error(`docs/architecture.md: no PORT row for ${app}`);
  return defaults;
}

function headingCovers(heading: string, app: AppName): boolean {
  return heading.startsWith('Common to every app') || heading.includes(app);
}

/** PORT and DATABASE_URL list one default per app, in the order of APPS. */
function perAppDefault(env: string, raw: string, app: AppName): unknown {
  if (env === 'PORT') {
    const ports = raw.split('/').map((p) => Number(p.trim()));
    if (ports.length !== APPS.length) throw new Error(`docs/architecture.md: PORT defaults "${raw}"`);
    return ports[APPS.indexOf(app)];
  }
  if (env === 'DATABASE_URL') {
    const url = /`(postgres:\/\/[^`]*\/)trx_<app>`/.exec(raw)?.[1];
    const names = [...raw.matchAll(/`(trx_[a-z0-9_]+)`/g)].map((m) => m[1]);
    if (!url || names.length !== APPS.length) throw new Error(`docs/architecture.md: DATABASE_URL "${raw}"`);
    return url + names[APPS.indexOf(app)];
  }
  return undefined;
}

function parseDocDefault(raw: string): unknown {
  const text = raw.replace(/`/g, '').trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'empty') return '';
  return text;
}

/** The default database name of an app: the path of its default DATABASE_URL. */
export function defaultDatabase(keys: AppConfigKeys): string {
  const url = keys.defaults.get('DATABASE_URL');
  // Issue 12 drops the default DATABASE_URL: the database is then the credentials model's.
  if (typeof url !== 'string' || url === '') return MODEL_DATABASES[keys.app];
  const match = /\/(trx_[a-z0-9_]+)$/.exec(url.replace(/`/g, ''));
  if (match?.[1]) return match[1];
  throw new Error(`${keys.app}: cannot read the database of ${url}`);
}

export function defaultPort(keys: AppConfigKeys): number {
  return Number(keys.defaults.get('PORT'));
}
