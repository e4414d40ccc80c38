import path from 'node:path';
import { Linter, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { createWorkspaceBoundariesRule, readWorkspaces, type Workspace } from './workspace-boundaries.cjs';

/**
 * The boundaries rule on small code strings, over a made-up repository at /repo:
 * protocol <- participant <- transaction-server, and test-support for tests.
 */
const ROOT = '/repo';
const workspace = (dir: string, dependencies: string[] = [], devDependencies: string[] = []): Workspace => ({
  name: `@trx/${path.basename(dir)}`,
  dir: path.join(ROOT, dir),
  isApp: dir.startsWith('apps/'),
  dependencies,
  devDependencies,
});
const WORKSPACES = [
  workspace('libs/protocol'),
  workspace('libs/test-support', ['@trx/protocol']),
  // Declares the app as a dev dependency: a library test may still not import it.
  workspace('libs/participant', ['@trx/protocol'], ['@trx/test-support', '@trx/transaction-server']),
  workspace('apps/transaction-server', ['@trx/protocol'], ['@trx/participant', '@trx/test-support']),
];
const at = (file: string) => path.join(ROOT, file);

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

tester.run('workspace-boundaries', createWorkspaceBoundariesRule(WORKSPACES), {
  valid: [
    { filename: at('libs/participant/src/a.ts'), code: "import { makeGid } from '@trx/protocol';" },
    { filename: at('libs/participant/src/a.ts'), code: "import { b } from './b';" },
    { filename: at('libs/participant/test/a.test.ts'), code: "import { waitFor } from '@trx/test-support';" },
    { filename: at('libs/participant/test/a.test.ts'), code: "import { Participant } from '../src';" },
    {
      filename: at('apps/transaction-server/test/a.test.ts'),
      code: "import { Participant } from '@trx/participant';",
    },
    { filename: at('scripts/bench/a.ts'), code: "export { makeGid } from '@trx/protocol';" },
    { filename: at('scripts/bench/a.ts'), code: "import { options } from '../local/options';" },
    { filename: at('libs/participant/src/a.ts'), code: "import { Pool } from 'pg';" },
  ],
  invalid: [
    {
      // The wrong way: protocol is below participant and does not declare it.
      filename: at('libs/protocol/src/a.ts'),
      code: "import { Participant } from '@trx/participant';",
      errors: [{ messageId: 'undeclared' }],
    },
    {
      // A dev dependency is for tests only.
      filename: at('libs/participant/src/a.ts'),
      code: "import { waitFor } from '@trx/test-support';",
      errors: [{ messageId: 'undeclared' }],
    },
    {
      filename: at('libs/participant/src/a.ts'),
      code: "import { makeGid } from '../../protocol/src';",
      errors: [{ messageId: 'byPath' }],
    },
    {
      filename: at('apps/transaction-server/test/a.test.ts'),
      code: "export { harness } from '../../../libs/participant/test/harness';",
      errors: [{ messageId: 'byPath' }],
    },
    {
      filename: at('scripts/bench/a.ts'),
      code: "import { makeGid } from '../../libs/protocol/src';",
      errors: [{ messageId: 'byPath' }],
    },
    {
      filename: at('libs/participant/src/a.ts'),
      code: "import { makeGid } from '@trx/protocol/src/gid';",
      errors: [{ messageId: 'deepImport' }],
    },
    {
      filename: at('libs/participant/test/a.test.ts'),
      code: "const server = await import('@trx/transaction-server');",
      errors: [{ messageId: 'libraryImportsApp' }],
    },
    {
      filename: at('libs/participant/test/a.test.ts'),
      code: "import { start } from '../../../apps/transaction-server/src/start';",
      errors: [{ messageId: 'byPath' }],
    },
  ],
});

describe('a declared cycle', () => {
  // protocol declares participant, which declares protocol: the package.json files disagree with the layering.
  const cyclic = [
    workspace('libs/protocol', ['@trx/participant']),
    workspace('libs/participant', ['@trx/protocol']),
  ];
  new RuleTester({ languageOptions: { parser: tseslint.parser } }).run(
    'workspace-boundaries',
    createWorkspaceBoundariesRule(cyclic),
    {
      valid: [],
      invalid: [
        {
          filename: at('libs/protocol/src/a.ts'),
          code: "import { Participant } from '@trx/participant';",
          errors: [{ messageId: 'cycle' }],
        },
      ],
    },
  );
});

test("this repository's package.json files forbid protocol -> participant and allow participant -> protocol", () => {
  const repo = path.resolve(__dirname, '..');
  const linter = new Linter();
  const lint = (file: string, code: string) =>
    linter.verify(
      code,
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { trx: { rules: { boundaries: createWorkspaceBoundariesRule(readWorkspaces(repo)) } } },
        rules: { 'trx/boundaries': 'error' },
      },
      path.join(repo, file),
    );
  expect(lint('libs/protocol/src/x.ts', "import { Participant } from '@trx/participant';")).toHaveLength(1);
  expect(lint('libs/participant/src/x.ts', "import { makeGid } from '@trx/protocol';")).toEqual([]);
  expect(
    lint('libs/participant/test/x.test.ts', "import * as app from '@trx/transaction-server';"),
  ).toHaveLength(1);
});
