import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CpuProfiler, renderProfile } from './cpu-profile';

describe('the CPU profiler of --profile', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'trx-bench-profile-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('profiles a process that runs an app main.js and reports its CPU by package and function', () => {
    const main = path.join(root, 'apps', 'demo-service', 'dist', 'main.js');
    mkdirSync(path.dirname(main), { recursive: true });
    writeFileSync(
      main,
      'let x = 0; const end = Date.now() + 300; while (Date.now() < end) x += Math.sqrt(x + 1);\n',
    );
    const profiler = new CpuProfiler(path.join(root, 'prof'));
    execFileSync(process.execPath, [main], { env: { ...process.env, ...profiler.serviceEnv('') } });

    const [summary, ...others] = profiler.summaries();
    expect(others).toEqual([]);
    expect(summary).toMatchObject({ service: 'demo-service' });
    expect(summary!.busyMs).toBeGreaterThan(100);
    expect(summary!.byPackage.map((p) => p.name)).toContain('demo-service');
    expect(renderProfile(summary!)[0]).toMatch(
      /^CPU profile of demo-service \(\d+\.\d s busy over the run\)/,
    );
  });

  it('leaves alone a node process that is not a service', () => {
    const script = path.join(root, 'build.js');
    writeFileSync(script, 'Math.sqrt(2);\n');
    const profiler = new CpuProfiler(path.join(root, 'prof'));
    execFileSync(process.execPath, [script], { env: { ...process.env, ...profiler.serviceEnv('') } });
    expect(profiler.summaries()).toEqual([]);
  });
});
