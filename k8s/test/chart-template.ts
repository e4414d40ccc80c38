/**
 * Reading Helm templates without helm: strip the template actions so the YAML around them can
 * be parsed, and list the `.Values` paths a template reads.
 *
 * @example
 *   stripActions('  {{- include "x" . | nindent 4 }}\nname: {{ .Values.name }}\n');
 *   // 'name: __T1__\n' (whole-line actions dropped, inline ones replaced by a scalar)
 *   valuesPaths('{{ $.Values.a.b }} {{- range $name, $app := .Values.apps }}{{ $app.port }}');
 *   // [['a', 'b'], ['apps'], ['apps', '*', 'port']]
 */

const ACTION = /\{\{[\s\S]*?\}\}/g;
const COMMENT_ACTION = /\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g;

/** Removes `{{/* ... *\/}}` comments, which may span lines. */
export function removeComments(text: string): string {
  return text.replace(COMMENT_ACTION, '');
}

/**
 * Lines made only of actions (`{{- if }}`, `{{- end }}`, `{{- include ... | nindent N }}`,
 * `{{- toYaml ... | nindent N }}`) are dropped: they hold control flow or whole YAML blocks.
 * Actions inside a line become a unique plain scalar `__T<n>__` (unique, so keys made of
 * actions do not collide).
 */
export function stripActions(text: string): string {
  let counter = 0;
  return removeComments(text)
    .split('\n')
    .filter((line) => !(line.includes('{{') && line.replace(ACTION, '').trim() === ''))
    .map((line) => line.replace(ACTION, () => `__T${++counter}__`))
    .join('\n');
}

/** Lines whose `{{` and `}}` do not pair up: a multi-line action the stripper cannot handle. */
export function unbalancedActionLines(text: string): string[] {
  return removeComments(text)
    .split('\n')
    .filter((line) => (line.match(/\{\{/g) ?? []).length !== (line.match(/\}\}/g) ?? []).length);
}

const BLOCK_OPENERS = /^(if|range|with|define|block)\b/;

/** Counts of block openers and `end`s among the actions of a template. */
export function blockBalance(text: string): { opened: number; ended: number } {
  let opened = 0;
  let ended = 0;
  for (const action of removeComments(text).match(ACTION) ?? []) {
    const body = action.replace(/^\{\{-?\s*/, '').replace(/\s*-?\}\}$/, '');
    if (BLOCK_OPENERS.test(body)) opened += 1;
    else if (/^end\b/.test(body)) ended += 1;
  }
  return { opened, ended };
}

/**
 * Every `.Values` path the template reads, as segments; `*` stands for each entry of a map.
 * Understood forms: `.Values.a.b`, `$.Values.a.b`, `(index . 0).Values.a.b`,
 * `(index .Values.apps "order-service").port`, variables bound to a Values path
 * (`$pg := .Values.postgres` then `$pg.host`), and `$app`, which by convention always
 * denotes one entry of `.Values.apps` (range variable or helper argument).
 */
export function valuesPaths(text: string): string[][] {
  const source = removeComments(text);
  const split = (dotted: string) => dotted.split('.').filter(Boolean);
  const aliases = new Map<string, string[]>([['app', ['apps', '*']]]);
  const paths: string[][] = [];

  const indexed = /\(?index \$?\.Values((?:\.[\w-]+)*) "([\w-]+)"\)?((?:\.\w+)*)/g;
  for (const m of source.matchAll(indexed)) {
    paths.push([...split(m[1] ?? ''), m[2] as string, ...split(m[3] ?? '')]);
  }
  const boundIndex = /\$(\w+)\s*:=\s*index \$?\.Values((?:\.[\w-]+)*) "([\w-]+)"/g;
  for (const m of source.matchAll(boundIndex)) {
    aliases.set(m[1] as string, [...split(m[2] ?? ''), m[3] as string]);
  }
  const bound = /\$(\w+)\s*:=\s*(?:\(index \. 0\)|\$)?\.Values((?:\.\w+)+)\s*-?\}\}/g;
  for (const m of source.matchAll(bound)) aliases.set(m[1] as string, split(m[2] as string));
  const ranged = /range \$\w+,\s*\$(\w+)\s*:=\s*\$?\.Values((?:\.\w+)+)/g;
  for (const m of source.matchAll(ranged)) aliases.set(m[1] as string, [...split(m[2] as string), '*']);

  const withoutIndexed = source.replace(indexed, '');
  for (const m of withoutIndexed.matchAll(/\.Values((?:\.\w+)+)/g)) paths.push(split(m[1] as string));
  for (const m of withoutIndexed.matchAll(/\$(\w+)((?:\.\w+)+)/g)) {
    const alias = aliases.get(m[1] as string);
    if (alias && !(m[2] as string).startsWith('.Values')) paths.push([...alias, ...split(m[2] as string)]);
  }
  return paths;
}

/** Whether `path` exists in `values`; `*` requires it under every entry of the map. */
export function hasPath(values: unknown, path: string[]): boolean {
  if (path.length === 0) return true;
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return false;
  const [head, ...rest] = path as [string, ...string[]];
  const map = values as Record<string, unknown>;
  if (head === '*') {
    const entries = Object.values(map);
    return entries.length > 0 && entries.every((entry) => hasPath(entry, rest));
  }
  return head in map && hasPath(map[head], rest);
}

/** `eq $name "x"` / `ne $name "x"`, alone or as the first operand of `and`. */
const NAME_TEST = /^(?:and \()?(eq|ne) \$name "([\w-]+)"(\))?(.*)$/;

/**
 * Whether a condition holds for one app, when the condition tests `$name` (the app of
 * `range $name, $app := .Values.apps`): `eq $name "x"`, `ne $name "x"`, or
 * `and (eq|ne $name "x") <more>`, whose other operands count as true (the block may be
 * rendered). `undefined` when the condition does not test `$name`.
 */
function nameCondition(condition: string, app: string): boolean | undefined {
  const m = NAME_TEST.exec(condition.trim());
  if (!m) return undefined;
  const [, op, name, closed, rest] = m as unknown as [string, string, string, string | undefined, string];
  const isAnd = condition.trim().startsWith('and (');
  if (isAnd !== (closed === ')') || (!isAnd && rest.trim() !== '')) return undefined;
  return op === 'eq' ? name === app : name !== app;
}

/**
 * The template as one app sees it inside `range $name, $app := .Values.apps`: an
 * `if`/`else if`/`else` decided by `$name` keeps only the branch taken by `app` (its own
 * actions become empty); every other action and block is left as it is.
 *
 * @example
 *   forApp('a: 1\n{{- if eq $name "x" }}\nb: 2\n{{- else }}\nc: 3\n{{- end }}\n', 'y');
 *   // 'a: 1\n\nc: 3\n\n'
 */
export function forApp(text: string, app: string): string {
  // One frame per open block: `decided` for an `if` on $name, with whether its branch is taken.
  type Frame = { decided: false } | { decided: true; taken: boolean; done: boolean };
  const source = removeComments(text);
  const stack: Frame[] = [];
  const visible = () => stack.every((f) => !f.decided || f.taken);
  let out = '';
  let last = 0;
  for (const match of source.matchAll(ACTION)) {
    const action = match[0];
    if (visible()) out += source.slice(last, match.index);
    last = (match.index ?? 0) + action.length;
    const body = action.replace(/^\{\{-?\s*/, '').replace(/\s*-?\}\}$/, '');
    const top = stack[stack.length - 1];
    if (/^if\b/.test(body)) {
      const taken = nameCondition(body.slice(2), app);
      if (taken === undefined) {
        stack.push({ decided: false });
        if (visible()) out += action;
      } else {
        stack.push({ decided: true, taken, done: taken });
      }
    } else if (/^else\b/.test(body) && top?.decided) {
      const condition = body.replace(/^else\s*/, '');
      if (condition === '') {
        top.taken = !top.done;
      } else {
        const taken = /^if\b/.test(condition) ? nameCondition(condition.slice(2), app) : undefined;
        if (taken === undefined) throw new Error(`forApp: cannot decide "${body}" for ${app}`);
        top.taken = !top.done && taken;
      }
      top.done ||= top.taken;
    } else if (/^end\b/.test(body)) {
      const frame = stack.pop();
      if (!frame?.decided && visible()) out += action;
    } else {
      if (BLOCK_OPENERS.test(body)) stack.push({ decided: false });
      if (visible()) out += action;
    }
  }
  if (visible()) out += source.slice(last);
  return out;
}
