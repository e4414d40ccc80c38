/**
 * One chaos run at a time on this machine: two runs would share the trx_chaos_* databases
 * and the trx-events-chaos exchange (drop each other's data) and restart PostgreSQL and
 * RabbitMQ under each other. Checkouts differ (a CI clone, a developer's tree), so the
 * lock lives in the system temp directory, not in .trx/. A run waits for the other one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sleep } from './time';

export interface RunLock {
  release(): void;
}

export async function acquireRunLock(
  namespace: string,
  log: (line: string) => void,
  timeoutMs = 15 * 60_000,
): Promise<RunLock> {
  const file = path.join(os.tmpdir(), `${namespace}.lock`);
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => releaseIfOurs(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (!isAlive(holder)) {
      fs.rmSync(file, { force: true }); // its run died without cleaning up
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another chaos run (pid ${holder}) still holds ${file}`);
    if (!told)
      log(`another chaos run (pid ${holder}, lock ${file}) is using ${namespace}_*: waiting for it to end`);
    told = true;
    await sleep(2_000);
  }
}

function releaseIfOurs(file: string): void {
  try {
    if (Number(fs.readFileSync(file, 'utf8').trim()) === process.pid) fs.rmSync(file);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
