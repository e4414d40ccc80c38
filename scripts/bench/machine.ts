import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { PgProbe } from './pg-probe';

/** What the numbers were measured on. Everything here is best effort: a missing tool leaves a null. */
export interface MachineDescription {
  date: string;
  hostname: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  loadAverageAtStart: number[];
  node: string;
  postgres: string | null;
  postgresSettings: Record<string, string>;
  rabbitmq: string | null;
  gitCommit: string | null;
}

const PG_SETTINGS = [
  'max_connections',
  'max_prepared_transactions',
  'shared_buffers',
  'synchronous_commit',
  'fsync',
  'wal_sync_method',
  'commit_delay',
  'full_page_writes',
];

export async function describeMachine(
  pg: PgProbe | undefined,
  rabbitApi: string,
): Promise<MachineDescription> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    node: process.version,
    postgres: pg ? await pg.serverVersion().catch(() => null) : null,
    postgresSettings: pg ? await pg.settings(PG_SETTINGS).catch(() => ({})) : {},
    rabbitmq: await rabbitVersion(rabbitApi),
    gitCommit: run('git', ['rev-parse', '--short', 'HEAD']),
  };
}

async function rabbitVersion(api: string): Promise<string | null> {
  try {
    const res = await fetch(`${api}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
      signal: AbortSignal.timeout(3000),
    });
    const body = (await res.json()) as { rabbitmq_version?: string; erlang_version?: string };
    return body.rabbitmq_version ? `RabbitMQ ${body.rabbitmq_version} (Erlang ${body.erlang_version})` : null;
  } catch {
    return null;
  }
}

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
