/**
 * Replicas of an earlier run that outlived it (the run itself was SIGKILLed, so its exit
 * hooks never ran) would consume the next run's queues and write to its databases. Every
 * pid the run starts is recorded; the next run kills those that are still ours.
 */
import fs from 'node:fs';
import path from 'node:path';

export class PidRegistry {
  private readonly file: string;

  constructor(
    outDir: string,
    /** Marks our processes: an env entry such as `TRX_EXCHANGE=trx-events-chaos`. */
    private readonly marker: string,
  ) {
    this.file = path.join(outDir, 'pids');
  }

  record(pid: number): void {
    fs.appendFileSync(this.file, `${pid}\n`);
  }

  /** SIGKILLs every recorded pid that still runs one of our replicas; returns how many. */
  killLeftovers(): number {
    let killed = 0;
    const pids = fs.existsSync(this.file)
      ? fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean)
      : [];
    for (const pid of pids.map(Number)) {
      if (this.isOurs(pid)) {
        process.kill(pid, 'SIGKILL');
        killed++;
      }
    }
    fs.writeFileSync(this.file, '');
    return killed;
  }

  /** A pid is reused by the OS: only a node process with our marker in its environment is ours. */
  private isOurs(pid: number): boolean {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return /apps\/[a-z-]+\/dist\/main\.js/.test(cmdline) && environ.includes(this.marker);
    } catch {
      return false;
    }
  }
}
