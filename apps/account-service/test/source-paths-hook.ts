/**
 * Preloaded (after ts-node) into a service started as a child process by a test: resolves
 * `@trx/<lib>` to the library's TypeScript source, as jest's moduleNameMapper does, so the
 * child runs the code under test without a build.
 */
import Module from 'node:module';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
type Resolve = (request: string, ...rest: unknown[]) => string;
const modules = Module as unknown as { _resolveFilename: Resolve };
const original = modules._resolveFilename;

modules._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  const lib = /^@trx\/([a-z-]+)$/.exec(request)?.[1];
  const target = lib ? path.join(root, 'libs', lib, 'src', 'index.ts') : request;
  return original.call(this, target, ...rest);
};
