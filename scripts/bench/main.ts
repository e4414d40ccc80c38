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
import { runAgainst } from './against';
import { runSoak } from './soak';
import { renderChart } from './chart';
import { HELP, parseOptions, UsageError, wantsHelp } from './options';
import { renderReport } from './report';
import type { BenchResults } from './results';
import { runBench } from './run-bench';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(HELP);
    return 0;
  }
  const against = splitAgainst(argv);
  if (against) return runAgainst(against, REPO_ROOT);
  const soak = argv.indexOf('--soak');
  if (soak >= 0) {
    const minutes = Number(argv[soak + 1]);
    if (!Number.isInteger(minutes) || minutes < 1) throw new UsageError('--soak needs a number of minutes');
    return runSoak(parseOptions([...argv.slice(0, soak), ...argv.slice(soak + 2)]), minutes, REPO_ROOT);
  }
  const options = parseOptions(argv);
  const results = await runBench(options, REPO_ROOT);
  const files = writeResults(results, path.resolve(REPO_ROOT, options.out));
  console.log(`\n${renderReport(results)}\n`);
  console.log(`[bench] results: ${files.join(', ')}`);
  const problems = problemsOf(results);
  for (const p of problems) console.error(`[bench] FAILED: ${p}`);
  return problems.length > 0 ? 1 : 0;
}

/** `--against <ref> [--rounds n]`: the rest of the arguments go to each build's own bench. */
function splitAgainst(argv: string[]): Parameters<typeof runAgainst>[0] | undefined {
  const at = argv.indexOf('--against');
  if (at < 0) return undefined;
  const ref = argv[at + 1];
  if (!ref || ref.startsWith('--')) throw new UsageError('--against needs a git ref');
  const rest = [...argv.slice(0, at), ...argv.slice(at + 2)];
  const r = rest.indexOf('--rounds');
  const rounds = r >= 0 ? Number(rest[r + 1]) : 3;
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError('--rounds must be a positive integer');
  const benchArgs = r >= 0 ? [...rest.slice(0, r), ...rest.slice(r + 2)] : rest;
  return { ref, rounds, benchArgs: ['--no-pg-cost', ...benchArgs], out: 'bench/results' };
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
    if (err.name === 'UsageError' || err instanceof UsageError) console.error(`${err.message}\n\n${HELP}`);
    else console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
    process.exit(err.name === 'UsageError' ? 2 : 1);
  },
);
