/**
 * The scripts' command lines, parsed by `node:util` parseArgs in strict mode: an unknown
 * option, a missing value or a stray argument becomes a UsageError with Node's own message,
 * which each script prints with its usage text and exits 2.
 *
 * @example
 *   const { values } = parseCommandLine(() =>
 *     parseArgs({ args: argv, options: { quick: { type: 'boolean' } }, strict: true }),
 *   );
 */
import type { ParseArgsConfig } from 'node:util';

/** The `options` of a parseArgs call (@types/node does not export the type by name). */
export type ArgOptions = NonNullable<ParseArgsConfig['options']>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs a parseArgs call, turning its errors (codes `ERR_PARSE_ARGS_*`) into a UsageError. */
export function parseCommandLine<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((err as Error).message);
    }
    throw err;
  }
}

/** `--help` or `-h` anywhere: the usage text wins over whatever else is on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** A UsageError, by name too: two copies of this module can exist (ts-node and jest). */
export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError || (err as Error | undefined)?.name === 'UsageError';
}
