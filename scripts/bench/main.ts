/**
 * `npm run bench`: how fast an atomic order is, next to the same work without a
 * coordinator (baseline) and the same writes in one local transaction (local).
 *
 * @example
 *   npm run bench                         # full run: 1,4,16,64 clients, 15 s each, all modes
 *   npm run bench -- --quick              # smoke test under a minute; exit 1 only on errors or a crash
 *   npm run bench -- --modes trx,baseline --concurrency 16 --duration 30 --url http://127.0.0.1:8080
 *   npm run bench -- --against 39ccdda --rounds 3 --modes trx,baseline --concurrency 16   # two builds in turns
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isUsageError, wantsHelp } from '../local/command-line';
import { runAgainst } from './against';
import { renderChart } from './chart';
import { runSoak } from './diagnostics';
import { HELP, parseCommand } from './options';
import { renderReport } from './report';
import type { BenchResults } from './results';
import { runBench } from './run-bench';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(HELP);
    return 0;
  }
  const command = parseCommand(argv);
  if (command.run === 'against') return runAgainst(command.against, REPO_ROOT);
  if (command.run === 'soak') return runSoak(command.options, command.minutes, REPO_ROOT);
  const { options } = command;
  const results = await runBench(options, REPO_ROOT);
  const files = writeResults(results, path.resolve(REPO_ROOT, options.out));
  console.log(`\n${renderReport(results)}\n`);
  console.log(`[bench] results: ${files.join(', ')}`);
  const problems = problemsOf(results);
  for (const p of problems) console.error(`[bench] FAILED: ${p}`);
  return problems.length > 0 ? 1 : 0;
}

/** Errors and stuck prepared transactions fail the run; speed never does. */
export function problemsOf(r: BenchResults): string[] {
  const problems: string[] = [];
  for (const s of r.steps) {
    if (s.summary.errors > 0) {
      problems.push(
        `${s.mode} c=${s.concurrency}: ${s.summary.errors} errors ${JSON.stringify(s.summary.errorKinds)}`,
      );
    }
    if (s.summary.committed === 0) problems.push(`${s.mode} c=${s.concurrency}: no order committed`);
    if (s.prepared && s.prepared.left > 0) {
      problems.push(
        `${s.mode} c=${s.concurrency}: ${s.prepared.left} prepared transactions still open 30 s after the step`,
      );
    }
  }
  return problems;
}

function writeResults(r: BenchResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = r.machine.date.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(r, null, 2)}\n`;
  const svg = renderChart(r);
  const md = `${renderReport(r)}\n`;
  const files: [string, string][] = [
    [`${stamp}.json`, json],
    [`${stamp}.svg`, svg],
    ['latest.json', json],
    ['latest.svg', svg],
    ['latest.md', md],
  ];
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  return files.map(([name]) => path.relative(process.cwd(), path.join(dir, name)));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    if (isUsageError(err)) console.error(`${err.message}\n\n${HELP}`);
    else console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
    process.exit(isUsageError(err) ? 2 : 1);
  },
);
