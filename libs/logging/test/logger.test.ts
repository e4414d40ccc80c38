import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** Runs `script` in a node of its own (the logger writes to its stdout); resolves with what it wrote. */
function runNode(script: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=trx-source', '-r', 'ts-node/register/transpile-only', '-e', script],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/**
 * Counts, from inside the child, the writes the logger's stream hands to the file system (its
 * own and the flush at exit); once the logger's exit flush ran, prints the count to stderr.
 */
const countWrites = `
  const fs = require('node:fs');
  let writes = 0;
  for (const name of ['write', 'writeSync']) {
    const original = fs[name];
    fs[name] = function (...args) { writes += 1; return original.apply(this, args); };
  }
  const { createLogger } = require('@trx/logging');
  const reportWrites = () => process.on('exit', () => process.stderr.write('writes=' + writes));
`;

describe('createLogger', () => {
  it('writes lines logged apart from each other together, and every one of them', async () => {
    // One line every 5 ms, as under steady traffic: pino's default stream writes each alone.
    const { stdout, stderr, code } = await runNode(`${countWrites}
      const log = createLogger({ service: 'test' });
      reportWrites(); // after the logger's own exit handler
      let n = 0;
      const next = () => {
        log.info({ n }, 'line');
        if (++n < 20) setTimeout(next, 5);
      };
      next();
    `);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { n: number; service: string });
    expect(lines.map((l) => l.n)).toEqual([...Array(20).keys()]);
    expect(lines[0]!.service).toBe('test');
    const writes = Number(/writes=(\d+)/.exec(stderr)?.[1]);
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(5);
  });

  it('writes the lines still waiting when the process exits', async () => {
    const { stdout, code } = await runNode(`${countWrites}
      const log = createLogger({ service: 'test' });
      for (let n = 0; n < 3; n++) log.info({ n }, 'line');
      process.exit(3);
    `);
    expect(code).toBe(3);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { n: number }).n),
    ).toEqual([0, 1, 2]);
  });

  it('writes a warning at once, with the lines before it', async () => {
    // Killed outright 20 ms after: a line still gathered would be lost.
    const { stdout, code } = await runNode(`${countWrites}
      const log = createLogger({ service: 'test' });
      log.info({ n: 0 }, 'line');
      log.warn({ n: 1 }, 'alarm');
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 20);
    `);
    expect(code).toBeNull();
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { n: number }).n),
    ).toEqual([0, 1]);
  });

  it('leaves out secrets', async () => {
    const { stdout } = await runNode(`${countWrites}
      createLogger({ service: 'test' }).info({ password: 'p', headers: { authorization: 'Bearer x' } }, 'line');
    `);
    expect(stdout).not.toMatch(/"password"|Bearer/);
    expect(stdout).toMatch(/"msg":"line"/);
  });
});
