import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '@trx/test-support';

const root = path.resolve(__dirname, '../../..');

/** The account-service as a real child process (so a test can SIGKILL it), from its TypeScript source. */
export class ServiceProcess {
  readonly lines: Record<string, unknown>[] = [];
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => this.lines.push({ stderr: chunk.toString('utf8') }));
    child.on('exit', () => (this.exited = true));
  }

  /** Spawns the service and resolves with its URL once it listens (it logs its port). */
  static async start(env: Record<string, string>): Promise<{ process: ServiceProcess; url: string }> {
    const child = spawn(
      process.execPath,
      [
        // `@trx/<lib>` resolves to the library's TypeScript source (its package.json exports), as
        // jest's moduleNameMapper does, so the child runs the code under test without a build.
        '--conditions=trx-source',
        '-r',
        'ts-node/register/transpile-only',
        path.join(root, 'apps/account-service/src/main.ts'),
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const service = new ServiceProcess(child);
    const port = await waitFor(
      () => {
        if (service.exited) throw new Error(`exited early: ${JSON.stringify(service.lines.slice(-5))}`);
        return service.lines.find((l) => l.msg === 'account-service started')?.port as number | undefined;
      },
      { timeoutMs: 60_000, description: 'the account-service process to listen' },
    );
    return { process: service, url: `http://127.0.0.1:${port}` };
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM: a graceful stop; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    const code = new Promise<number | null>((resolve) => this.child.once('exit', (c) => resolve(c)));
    this.child.kill('SIGTERM');
    return code;
  }

  /** SIGKILL: no shutdown hook runs, whatever was prepared stays prepared. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await gone;
  }
}
