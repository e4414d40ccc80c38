/**
 * A hostile-input corpus generated from OpenAPI documents: for each operation, each path or
 * query parameter and each body field gets the wrong values of its type; each body gets
 * missing and extra fields, prototype keys, deep nesting, the wrong shape, invalid JSON, a
 * wrong content type and too many bytes; routes that read `Idempotency-Key` or
 * `X-Transaction-ID` get junk and control characters there. Deterministic: the same
 * documents give the same requests.
 *
 *   const cases = corpusOf('account', document, bases, bearer);
 *   for (const c of cases) check(c, await sendRaw(url, c.request));
 */
import type { RawRequest } from './raw-http';

export interface Schema {
  type?: string | string[];
  enum?: readonly unknown[];
  pattern?: string;
  maxLength?: number;
  format?: string;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  schema: Schema;
}
interface Operation {
  parameters?: readonly Parameter[];
  requestBody?: { content: { 'application/json': { schema: Schema } } };
}
export interface ApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas: Record<string, Schema> };
}

/** A request that would be accepted, per operation (`POST /v1/transactions/{id}/commit`); mutations start from it. */
export interface RouteBase {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  /** No credential needed: no 401 case. */
  public?: boolean;
  /** A request refused only after the route read its headers (see HEADER_JUNK); routes without one get no header cases. */
  headerProbe?: { params?: Record<string, string>; body?: unknown; headers?: Record<string, string> };
}

export interface HostileCase {
  app: string;
  name: string;
  request: RawRequest;
  expect: 'refused' | 'unauthenticated';
}

/** A number JSON.stringify can't write (2^53+1 exactly, 1e400): spliced into the text. */
const raw = (text: string) => ({ [RAW]: text });
const RAW = '__raw_json__';
const JUNK = ["' OR 1=1--", '../../etc/passwd', 'a\u0000b', '<script>', '$where'];
const deepArrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObjects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

const PATH_JUNK: Record<'integer' | 'uuid', string[]> = {
  integer: [
    '0',
    '-1',
    '1.5',
    '9007199254740993',
    '1e400',
    'NaN',
    'abc',
    "'%20OR%201=1--",
    '..%2F..%2Fetc%2Fpasswd',
  ],
  uuid: [
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    "'%20OR%201=1--",
    '..%2F..%2Fetc%2Fpasswd',
    '1',
  ],
};
const PATH_JUNK_ANY = ['%00', '1%00', '%E0%A4%A', '..', 'x'.repeat(4000), '%2e%2e%2f%2e%2e%2fetc%2fpasswd'];
const QUERY_JUNK: Record<'integer' | 'string', string[]> = {
  integer: ['0', '-1', '1.5', '2147483648', '9007199254740993', 'abc', '%00', "'%20OR%201=1--"],
  string: ["'%20OR%201=1--", '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(401), 'W10', 'eyJhIjoxfQ'],
};
/** Header values, control characters included (sent raw: fetch refuses some of these bytes). */
export const HEADER_JUNK = [
  '\u0000',
  'a\u0001b',
  '\u001b[31m',
  'a\u007fb',
  "' OR 1=1--",
  '../../etc/passwd',
  '%00',
  'x'.repeat(8000),
  // Over Node's 16 kB of headers: refused by its parser (431) before any route.
  'x'.repeat(20_000),
  '\u00e9\u00ff',
];
const HEADERS = ['idempotency-key', 'x-transaction-id', 'x-transaction-enlist'];

/** Every hostile case of every operation of `doc`; `bases` must name each operation. */
export function corpusOf(
  app: string,
  doc: ApiDocument,
  bases: Record<string, RouteBase>,
  authorization: string,
): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const key = `${method.toUpperCase()} ${path}`;
      const base = bases[key];
      if (!base) throw new Error(`${app}: no base request for ${key}; add one to the corpus`);
      const send: Send = (name, r) => {
        const request = requestOf(key, base, authorization, r);
        cases.push({ app, name: `${key} ${name}`, request, expect: 'refused' });
      };
      if (!base.public) {
        const request = requestOf(key, base, '', {});
        cases.push({ app, name: `${key} without a credential`, request, expect: 'unauthenticated' });
      }
      for (const p of op.parameters ?? []) parameterCases(p, send);
      if (op.parameters?.some((p) => p.in === 'query')) {
        send('?hostile=1', { query: { hostile: '1' } });
        send('?__proto__[polluted]=1', { query: { '__proto__[polluted]': '1' } });
      }
      const schema = op.requestBody?.content['application/json'].schema;
      if (schema) bodyCases(resolve(doc, schema), doc, base.body ?? {}, send);
      if (base.headerProbe) headerCases(base.headerProbe, send);
    }
  }
  return cases;
}

type Mutation = Partial<RawRequest> & { params?: Record<string, string>; query?: Record<string, string> };
type Send = (name: string, r: Mutation) => void;

function parameterCases(p: Parameter, send: Send): void {
  if (p.in === 'path') {
    const kind = p.schema.format === 'uuid' ? 'uuid' : 'integer';
    for (const v of [...PATH_JUNK[kind], ...PATH_JUNK_ANY])
      send(`${p.name}=${v.slice(0, 40)}`, { params: { [p.name]: v } });
  } else if (p.in === 'query') {
    const kind = p.schema.type === 'integer' ? 'integer' : 'string';
    const junk = p.schema.enum ? ['maybe', "'%20OR%201=1--", '%00'] : QUERY_JUNK[kind];
    for (const v of junk) send(`?${p.name}=${v.slice(0, 40)}`, { query: { [p.name]: v } });
    send(`?${p.name} twice`, { query: { [p.name]: `1&${p.name}=2` } });
  }
}

function bodyCases(schema: Schema, doc: ApiDocument, base: Record<string, unknown>, send: Send): void {
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    for (const v of wrongValues(resolve(doc, field))) {
      send(`body.${name}=${JSON.stringify(v).slice(0, 40)}`, { body: json({ ...base, [name]: v }) });
    }
  }
  for (const name of schema.required ?? []) {
    const { [name]: _gone, ...rest } = base;
    send(`body without ${name}`, { body: json(rest) });
  }
  const text = json(base);
  const withKeys = (keys: string) => (text === '{}' ? `{${keys}}` : `{${keys},${text.slice(1)}`);
  send('body with an extra field', { body: json({ ...base, hostile: true }) });
  send('body with __proto__', { body: withKeys('"__proto__":{"polluted":true}') });
  send('body with constructor.prototype', {
    body: withKeys('"constructor":{"prototype":{"polluted":true}}'),
  });
  for (const shape of ['[]', 'null', '"x"', '1', 'true']) send(`body ${shape}`, { body: shape });
  send('body nested 10000 arrays deep', { body: deepArrays(10_000) });
  send('body nested 10000 objects deep', { body: deepObjects(10_000) });
  send('a field nested 10000 arrays deep', { body: withKeys(`"nested":${deepArrays(10_000)}`) });
  for (const bad of ['{"a":', "{'a':1}", '{"a":1}}', '\u0000', '{"a":"\\u00"}']) {
    send(`invalid JSON ${JSON.stringify(bad)}`, { body: bad });
  }
  send('over the body limit', { body: json({ ...base, padding: 'x'.repeat(300_000) }) });
  send('text/plain', { body: text, headers: { 'content-type': 'text/plain' } });
  send('form-encoded', { body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  send('charset latin1', { body: text, headers: { 'content-type': 'application/json; charset=iso-8859-1' } });
  send('content-encoding br', { body: text, headers: { 'content-encoding': 'br' } });
  send('content-encoding unknown', { body: text, headers: { 'content-encoding': 'x-unknown' } });
}

function headerCases(probe: NonNullable<RouteBase['headerProbe']>, send: Send): void {
  const body = probe.body === undefined ? undefined : json(probe.body);
  for (const header of HEADERS) {
    for (const v of HEADER_JUNK) {
      const name = `${header}: ${JSON.stringify(v).slice(0, 30)}`;
      send(name, { params: probe.params, body, headers: { ...probe.headers, [header]: v } });
    }
  }
}

/** Values a field of this schema must refuse. */
function wrongValues(s: Schema): unknown[] {
  const types = [s.type].flat();
  const notString = [1, null, true, [], {}];
  if (s.enum) return ['maybe', "' OR 1=1--", '', 1, null, [s.enum[0]], {}];
  if (types.includes('integer') || types.includes('number')) {
    // 1.5 is a valid amount of money, not a valid integer.
    const fraction = types.includes('integer') ? [1.5] : [];
    return ['1', -1, 0, ...fraction, 0.001, 1e308, raw('9007199254740993'), raw('1e400'), null, true, [], {}];
  }
  if (types.includes('string')) {
    const long = s.maxLength === undefined ? [] : ['x'.repeat(s.maxLength + 1)];
    const junk = s.pattern !== undefined || s.format === 'uuid' ? ['', ...JUNK] : [];
    return [...notString, ...long, ...junk];
  }
  if (types.includes('array')) return ['x', 1, null, {}, [1], [null]];
  if (types.includes('boolean')) return ['true', 1, null];
  return [];
}

function resolve(doc: ApiDocument, s: Schema): Schema {
  return s.$ref ? doc.components!.schemas[s.$ref.split('/').pop()!]! : s;
}

/** JSON text with raw() values spliced in. */
export function json(value: unknown): string {
  return JSON.stringify(value).replace(/\{"__raw_json__":"([^"]*)"\}/g, '$1');
}

function requestOf(key: string, base: RouteBase, authorization: string, r: Mutation): RawRequest {
  const [method, template] = key.split(' ') as [string, string];
  const params = { ...base.params, ...r.params };
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `missing-${name}`);
  const query = Object.entries({ ...base.query, ...r.query })
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const body = r.body ?? (base.body === undefined ? undefined : json(base.body));
  const headers: Record<string, string> = {};
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method, path: query ? `${path}?${query}` : path, headers: { ...headers, ...r.headers }, body };
}
