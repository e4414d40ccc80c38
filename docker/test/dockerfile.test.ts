/**
 * Static checks of docker/Dockerfile, docker/healthcheck.js and .dockerignore (no Docker
 * engine runs here): the image builds every workspace with tsconfig.build.json, runs as a
 * non-root user with a health check, and starts the entry point of the app it was built for.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { APPS, REPO_ROOT, appConfigKeys, defaultPort } from './app-config-keys';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits the Dockerfile into stages of instructions (continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      stages.push({ from, name, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = readFileSync(path.join(REPO_ROOT, 'docker', 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const buildStage = stages[0] as Stage;
const runtime = stages[stages.length - 1] as Stage;
const runs = (stage: Stage) =>
  stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args.replace(/\s+/g, ' '));
const only = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);

function workspacePackageJsons(): string[] {
  return ['libs', 'apps'].flatMap((dir) =>
    readdirSync(path.join(REPO_ROOT, dir))
      .map((name) => `${dir}/${name}/package.json`)
      .filter((file) => existsSync(path.join(REPO_ROOT, file))),
  );
}

test('has a build stage and a separate runtime stage', () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
  // The current LTS in the images (the code keeps working on Node 20, package.json engines).
  expect(runtime.from).toMatch(/^node:24-(bookworm-slim|slim|alpine)/);
  expect(buildStage.from).toBe(runtime.from);
});

test('the build stage installs exactly the lockfile (npm ci), builds with tsconfig.build.json and prunes dev deps', () => {
  const commands = runs(buildStage);
  const install = commands.findIndex((c) => /\bnpm ci\b/.test(c));
  expect(commands.some((c) => /\bnpm install\b/.test(c))).toBe(false);
  const build = commands.findIndex((c) => /\btsc -b tsconfig\.build\.json\b/.test(c));
  expect(install).toBeGreaterThanOrEqual(0);
  expect(build).toBeGreaterThanOrEqual(install);
  expect(commands.join('\n')).toMatch(/npm prune --omit=dev/);
});

test('every workspace package.json is copied before the install (else it is not linked)', () => {
  const beforeInstall = buildStage.instructions.slice(
    0,
    buildStage.instructions.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)),
  );
  const copied = beforeInstall
    .filter((i) => i.op === 'COPY')
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
  expect(workspacePackageJsons().filter((file) => !copied.includes(file))).toEqual([]);
});

test('the runtime stage is production, non-root, and health-checked on /health/live', () => {
  const env = only(runtime, 'ENV')
    .map((i) => i.args)
    .join(' ');
  expect(env).toMatch(/NODE_ENV=production/);
  const users = only(runtime, 'USER');
  expect(users.length).toBeGreaterThan(0);
  const user = (users[users.length - 1] as Instruction).args.split(':')[0];
  expect(['root', '0', '']).not.toContain(user);
  const healthcheck = only(runtime, 'HEALTHCHECK').map((i) => i.args);
  expect(healthcheck).toHaveLength(1);
  expect(healthcheck[0]).toMatch(/CMD \["node", "healthcheck\.js", "\/health\/live"\]/);
});

test('the runtime stage copies built output only, not sources', () => {
  const copies = only(runtime, 'COPY').map((i) => i.args);
  for (const copy of copies) {
    if (!copy.includes('--from=')) expect(copy).toMatch(/^docker\/healthcheck\.js /);
  }
});

test.each(APPS)('CMD starts the entry point named by apps/%s/package.json', (app) => {
  const cmd = only(runtime, 'CMD').map((i) => i.args);
  expect(cmd).toHaveLength(1);
  const entry = /apps\/\$\{APP\}\/([\w./-]+\.js)/.exec(cmd[0] as string)?.[1];
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'apps', app, 'package.json'), 'utf8')) as {
    main: string;
  };
  expect(entry).toBe('dist/main.js');
  expect(path.posix.normalize(pkg.main)).toBe(entry);
  // APP reaches the runtime stage, where the shell of CMD expands it.
  expect(only(runtime, 'ARG').map((i) => i.args)).toContain('APP');
  expect(
    only(runtime, 'ENV')
      .map((i) => i.args)
      .join(' '),
  ).toMatch(/\bAPP=\$\{APP\}/);
});

test.each(APPS)('healthcheck.js knows the default port of %s', async (app) => {
  const script = readFileSync(path.join(REPO_ROOT, 'docker', 'healthcheck.js'), 'utf8');
  const port = new RegExp(`'${app}': (\\d+)`).exec(script)?.[1];
  expect(Number(port)).toBe(defaultPort(await appConfigKeys(app)));
});

/** .dockerignore semantics, simplified: last matching rule wins; a rule on a directory covers its files. */
function isIgnored(file: string, rules: string[]): boolean {
  let ignored = false;
  for (const rule of rules) {
    const negated = rule.startsWith('!');
    const pattern = (negated ? rule.slice(1) : rule).replace(/^\/|\/$/g, '');
    const source = pattern
      .split('/')
      .map((part) => (part === '**' ? '.*' : part.replace(/[.+^$()|[\]{}]/g, '\\$&').replace(/\*/g, '[^/]*')))
      .join('/')
      .replace(/\.\*\//g, '(?:.*/)?');
    if (new RegExp(`^${source}(?:/.*)?$`).test(file)) ignored = !negated;
  }
  return ignored;
}

test('.dockerignore keeps host builds out and what the Dockerfile copies in', () => {
  const rules = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const file of [
    'node_modules/x/index.js',
    'libs/db/dist/index.js',
    'apps/order-service/dist/main.js',
  ]) {
    expect({ file, ignored: isIgnored(file, rules) }).toEqual({ file, ignored: true });
  }
  const copiedFromContext = only(buildStage, 'COPY')
    .concat(only(runtime, 'COPY'))
    .filter((i) => !i.args.includes('--from='))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    .filter((src) => !src.endsWith('/'));
  const needed = [...copiedFromContext, 'libs/config/src/index.ts', 'apps/order-service/src/main.ts'];
  for (const file of needed) {
    expect({ file, exists: existsSync(path.join(REPO_ROOT, file)) }).toEqual({ file, exists: true });
    expect({ file, ignored: isIgnored(file, rules) }).toEqual({ file, ignored: false });
  }
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [full] : [];
  });
}

test('what the apps and libs import at run time survives `npm prune --omit=dev`', () => {
  const root = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const shipped = [
    ...APPS.map((app) => path.join(REPO_ROOT, 'apps', app, 'src')),
    ...readdirSync(path.join(REPO_ROOT, 'libs'))
      .filter((lib) => lib !== 'test-support')
      .map((lib) => path.join(REPO_ROOT, 'libs', lib, 'src')),
  ].filter((dir) => existsSync(dir));
  const missing = new Set<string>();
  for (const file of shipped.flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from |import |require\()'([^'./][^']*)'/g)) {
      const specifier = m[1] as string;
      if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const pkg = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      if (pkg === '@trx/test-support' || (!pkg?.startsWith('@trx/') && !(pkg && pkg in root.dependencies))) {
        missing.add(`${path.relative(REPO_ROOT, file)}: ${pkg}`);
      }
    }
  }
  expect([...missing]).toEqual([]);
});
