/**
 * `npm run chaos -- [options]`: one fault-injection run against two replicas of every
 * trx service on this machine; prints the report and exits 1 on any violation.
 * Run directly: node --conditions=trx-source -r ts-node/register/transpile-only scripts/chaos/main.ts --help
 */
import fs from 'node:fs';
import path from 'node:path';
import { isUsageError, wantsHelp } from '../local/command-line';
import type { Attempt } from './load';
import { parseOptions, USAGE } from './options';
import { formatReport, violations } from './report';
import { runChaos } from './run-chaos';

async function main(): Promise<number> {
  process.chdir(path.resolve(__dirname, '..', '..'));
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options;
  try {
    options = parseOptions(argv, process.env);
  } catch (err) {
    // A bad option shows the usage; a bad TRX_PG_ADMIN_URL or TRX_AMQP_URL only its error.
    process.stderr.write(`${(err as Error).message}\n${isUsageError(err) ? `${USAGE}\n` : ''}`);
    return 2;
  }
  const report = await runChaos(options);
  const text = formatReport(report).join('\n');
  process.stdout.write(`\n${text}\n`);
  const file = path.join(options.outDir, `report-${options.seed}.txt`);
  fs.writeFileSync(file, `${text}\n`);
  // Every request and answer, one JSON line each, to line up with the service logs when diagnosing.
  const attempts = path.join(options.outDir, `attempts-${options.seed}.jsonl`);
  fs.writeFileSync(attempts, report.attempts.map((a) => JSON.stringify(attemptLine(a))).join('\n') + '\n');
  process.stdout.write(
    `(report saved to ${file}, requests to ${attempts}; service logs in ${options.outDir}/)\n`,
  );
  return violations(report) === 0 ? 0 : 1;
}

function attemptLine(a: Attempt): Record<string, unknown> {
  return {
    ...a,
    startedAt: new Date(a.startedAt).toISOString(),
    ms: a.endedAt - a.startedAt,
    endedAt: undefined,
  };
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`chaos: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
