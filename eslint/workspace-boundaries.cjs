/**
 * The lint rule `trx/workspace-boundaries`: dependencies point one way (protocol <- clients and
 * the participant runtime <- service-kit <- apps), and each workspace's package.json is the one
 * place that says which way. A file may import:
 *   - its own package by relative path;
 *   - another workspace only by its name (`@trx/protocol`), never `../x/src` or `@trx/x/src/...`;
 *   - from `src/`, only the `@trx/*` workspaces in its package.json `dependencies`; from its
 *     tests, those and its `devDependencies`;
 *   - never an app from a library, declared or not (a library test that needs an app belongs in
 *     that app's tests);
 *   - from `src/`, never a workspace that depends back on the importer (a cycle).
 * Files outside the workspaces (scripts/, docker/, k8s/) may import any workspace by name.
 *
 * CommonJS so that both eslint.config.mjs and its jest test (eslint/) can load it.
 */
const fs = require('node:fs');
const path = require('node:path');

/** The workspaces under `root` (libs/*, apps/*) as the rule sees them. */
function readWorkspaces(root) {
  return ['libs', 'apps'].flatMap((group) =>
    fs
      .readdirSync(path.join(root, group), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && fs.existsSync(path.join(root, group, entry.name, 'package.json')),
      )
      .map((entry) => {
        const dir = path.join(root, group, entry.name);
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        return {
          name: pkg.name,
          dir,
          isApp: group === 'apps',
          dependencies: Object.keys(pkg.dependencies ?? {}),
          devDependencies: Object.keys(pkg.devDependencies ?? {}),
        };
      }),
  );
}

const messages = {
  byPath: "'{{specifier}}' reaches into {{target}} by path; import '{{target}}' (its src/index.ts) instead.",
  deepImport: "'{{specifier}}' reaches inside {{target}}; import '{{target}}' (its src/index.ts) instead.",
  libraryImportsApp: '{{importer}} is a library and must not import the app {{target}}.',
  undeclared:
    '{{importer}} does not declare {{target}} in {{field}} of its package.json; declare it there if the layering allows it.',
  cycle: '{{importer}} imports {{target}}, which depends on {{importer}}: dependencies must point one way.',
};

/** Everything `name` depends on at run time (its `dependencies`, transitively). */
function dependencyClosure(byName, name, seen = new Set()) {
  for (const dep of byName.get(name)?.dependencies ?? []) {
    if (!seen.has(dep)) {
      seen.add(dep);
      dependencyClosure(byName, dep, seen);
    }
  }
  return seen;
}

/** The rule over a given table of workspaces (the test passes its own). */
function createWorkspaceBoundariesRule(workspaces) {
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const owner = (file) => workspaces.find((w) => file === w.dir || file.startsWith(w.dir + path.sep));

  function problem(file, specifier) {
    const importer = owner(file);
    if (specifier.startsWith('.')) {
      const target = owner(path.resolve(path.dirname(file), specifier));
      if (target && target !== importer) return { messageId: 'byPath', target };
      return undefined;
    }
    const match = /^(@trx\/[^/]+)(\/.*)?$/.exec(specifier);
    const target = match && byName.get(match[1]);
    if (!target || target === importer) return undefined;
    if (match[2]) return { messageId: 'deepImport', target };
    if (!importer) return undefined;
    if (target.isApp && !importer.isApp) return { messageId: 'libraryImportsApp', importer, target };
    const inSrc = file.startsWith(path.join(importer.dir, 'src') + path.sep);
    const allowed = inSrc ? importer.dependencies : [...importer.dependencies, ...importer.devDependencies];
    if (!allowed.includes(target.name)) {
      const field = inSrc ? 'dependencies' : 'dependencies or devDependencies';
      return { messageId: 'undeclared', importer, target, field };
    }
    // Tests sit above everything, so a test may use @trx/test-support although it depends on the package.
    if (inSrc && dependencyClosure(byName, target.name).has(importer.name)) {
      return { messageId: 'cycle', importer, target };
    }
    return undefined;
  }

  return {
    meta: {
      type: 'problem',
      docs: { description: 'Workspace imports follow the dependencies each package.json declares.' },
      schema: [],
      messages,
    },
    create(context) {
      const check = (node) => {
        const source = node.source;
        if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
        const found = problem(context.filename, source.value);
        if (!found) return;
        context.report({
          node: source,
          messageId: found.messageId,
          data: {
            specifier: source.value,
            target: found.target.name,
            importer: found.importer?.name ?? '',
            field: found.field ?? '',
          },
        });
      };
      return {
        ImportDeclaration: check,
        ExportNamedDeclaration: check,
        ExportAllDeclaration: check,
        ImportExpression: check,
      };
    },
  };
}

/** The plugin eslint.config.mjs registers as `trx`, over this repository's workspaces. */
function workspaceBoundariesPlugin(root) {
  return { rules: { 'workspace-boundaries': createWorkspaceBoundariesRule(readWorkspaces(root)) } };
}

module.exports = { createWorkspaceBoundariesRule, readWorkspaces, workspaceBoundariesPlugin };
