/**
 * @trx/config — one schema per app: every key has an env var, a description and a default.
 * The app passes the environment in; this library never reads `process.env` itself.
 *
 * @example
 *   const spec = { port: key(z.coerce.number().int().min(0), 'PORT', 8888, 'HTTP port') };
 *   const config = loadConfig(spec, process.env);            // { port: 8888 }
 *   const forTest = loadConfig(spec, {}, { port: 0 });       // overrides win
 */
import { z } from 'zod';

export interface ConfigKey<T> {
  schema: z.ZodType<T>;
  env: string;
  default: T;
  description: string;
  /** Never printed (passwords, tokens). */
  secret?: boolean;
  /** No default: loading fails when the variable is unset (credentials, which must never default). */
  required?: boolean;
}

export type ConfigSpec = Record<string, ConfigKey<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends ConfigKey<infer T> ? T : never };

export function key<T>(
  schema: z.ZodType<T>,
  env: string,
  defaultValue: T,
  description: string,
  options: { secret?: boolean } = {},
): ConfigKey<T> {
  return { schema, env, default: defaultValue, description, secret: options.secret };
}

/**
 * A key without a default: unset (and not overridden) is a configuration error that names the
 * variable. For credentials and the URLs that carry them, which must never have a default.
 */
export function requiredKey<T>(
  schema: z.ZodType<T>,
  env: string,
  description: string,
  options: { secret?: boolean } = {},
): ConfigKey<T> {
  return { schema, env, default: undefined as T, description, secret: options.secret, required: true };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: { env: string; message: string }[],
  ) {
    super(message);
  }
}

/** Reads each key from `env[key.env]` (unset or empty → default), then applies overrides. */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: Record<string, string | undefined>,
  overrides: Partial<ConfigOf<S>> = {},
): ConfigOf<S> {
  const result: Record<string, unknown> = {};
  const problems: { env: string; message: string }[] = [];
  for (const [name, k] of Object.entries(spec)) {
    if (name in overrides && (overrides as Record<string, unknown>)[name] !== undefined) {
      result[name] = (overrides as Record<string, unknown>)[name];
      continue;
    }
    const raw = env[k.env];
    if (raw === undefined || raw === '') {
      if (k.required) problems.push({ env: k.env, message: `is required (${k.description})` });
      else result[name] = k.default;
      continue;
    }
    const parsed = k.schema.safeParse(raw);
    if (parsed.success) result[name] = parsed.data;
    else problems.push({ env: k.env, message: parsed.error.issues.map((i) => i.message).join('; ') });
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.env}: ${p.message}`).join(', ');
    throw new ConfigError(`invalid configuration: ${lines}`, problems);
  }
  return result as ConfigOf<S>;
}

/** A table of the keys for docs and `--help`: env var, default, description. */
/**
 * An app's `loadAppConfig`: loadConfig over its spec, then the checks that span several keys
 * (each throws ConfigError naming the env var).
 *
 * @example export const loadAppConfig = configLoader(configSpec, assertRetentionSafe);
 */
export function configLoader<S extends ConfigSpec>(
  spec: S,
  ...checks: ((config: ConfigOf<S>) => void)[]
): (env: Record<string, string | undefined>, overrides?: Partial<ConfigOf<S>>) => ConfigOf<S> {
  return (env, overrides = {}) => {
    const config = loadConfig(spec, env, overrides);
    for (const check of checks) check(config);
    return config;
  };
}

export function describeConfig(spec: ConfigSpec): { env: string; default: string; description: string }[] {
  return Object.values(spec).map((k) => ({
    env: k.env,
    default: k.required ? '(required)' : k.secret ? '(secret)' : JSON.stringify(k.default),
    description: k.description,
  }));
}

/** Parses `name=url,name=url2,other=url3` into a map of name → URLs (repeat a name for replicas). */
export const serviceMapSchema = z.string().transform((raw, ctx) => {
  const map: Record<string, string[]> = {};
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim();
    if (eq <= 0 || !/^https?:\/\//.test(url)) {
      ctx.addIssue({ code: 'custom', message: `expected name=http://host:port, got "${entry}"` });
      return z.NEVER;
    }
    (map[name] ??= []).push(url.replace(/\/$/, ''));
  }
  return map;
});

/** A flag: `true`/`1` or `false`/`0`. */
export const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1') as unknown as z.ZodType<boolean>;

export { z };
