/**
 * Runs one service replica as a child process: start, SIGKILL, restart, wait until ready.
 * Its stdout and stderr go to a log file under .trx/chaos/, with a line of our own at
 * every start and kill so the log reads as a timeline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { sleep } from './time';

export interface ProcessSpec {
  /** e.g. `account-service-2`. */
  name: string;
  /** The app (`account-service`): `node apps/<app>/dist/main.js`. */
  app: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
}

export interface ExitRecord {
  name: string;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we did not ask for it (not a kill or stop of ours). */
  unexpected: boolean;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private expectingExit = false;
  private exited: Promise<void> = Promise.resolve();
  readonly url: string;

  constructor(
    readonly spec: ProcessSpec,
    private readonly onExit: (record: ExitRecord) => void = () => undefined,
    private readonly onStart: (pid: number) => void = () => undefined,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const log = fs.openSync(this.spec.logFile, 'a');
    fs.writeSync(log, `--- chaos ${new Date().toISOString()}: starting ${this.name} on :${this.spec.port}\n`);
    const child = spawn(process.execPath, [`apps/${this.spec.app}/dist/main.js`], {
      env: this.spec.env,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    if (child.pid) this.onStart(child.pid);
    this.child = child;
    this.expectingExit = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.note(`exited (code ${code}, signal ${signal})`);
        if (this.child === child) this.child = undefined;
        this.onExit({ name: this.name, at: Date.now(), code, signal, unexpected: !this.expectingExit });
        resolve();
      });
    });
  }

  /** SIGKILL: no shutdown hook runs, exactly like a crash. Resolves when the process is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Graceful stop (SIGTERM), then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.child) return;
    const gone = this.exited;
    await this.signal('SIGTERM', false);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }

  /** SIGSTOP / SIGCONT: a stalled process, not a dead one. */
  pause(): void {
    this.note('SIGSTOP');
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.note('SIGCONT');
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    if (this.child) await this.kill();
    this.start();
  }

  /** Polls /health/ready until it answers 200; throws when the process exits or time runs out. */
  async waitReady(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (!this.child) throw new Error(`${this.name} exited before it was ready; see ${this.spec.logFile}`);
      if (await this.isReady()) return Date.now() - started;
      await sleep(200);
    }
    throw new Error(
      `${this.name} not ready on :${this.spec.port} after ${timeoutMs} ms; see ${this.spec.logFile}`,
    );
  }

  async isReady(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  private async signal(signal: NodeJS.Signals, wait = true): Promise<void> {
    if (!this.child) return;
    this.expectingExit = true;
    this.note(`sending ${signal} to pid ${this.child.pid}`);
    const gone = this.exited;
    this.child.kill(signal);
    if (wait) await gone;
  }

  private note(text: string): void {
    fs.appendFileSync(this.spec.logFile, `--- chaos ${new Date().toISOString()}: ${this.name} ${text}\n`);
  }
}
