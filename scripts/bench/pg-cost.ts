import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { runClosedLoop } from './load-driver';
import { withClient } from './seed';
import type { StepSummary } from './stats';

/**
 * What two-phase commit costs Postgres itself on this machine: a one-row update committed
 * plainly, next to the same update ended by PREPARE TRANSACTION + COMMIT PREPARED (two
 * WAL flushes instead of one), at a few concurrencies; and the raw fsync rate of the disk
 * (pg_test_fsync) when it is installed.
 */
export interface PgCost {
  steps: { kind: 'commit' | 'prepare+commit-prepared'; concurrency: number; summary: StepSummary }[];
  fdatasyncPerSecond: number | null;
}

const GID_PREFIX = 'trx-bench:';

export async function measurePgCost(databaseUrl: string, concurrencies: number[], seconds: number) {
  await withClient(databaseUrl, async (db) => {
    await db.query('CREATE TABLE IF NOT EXISTS bench_counter (id integer PRIMARY KEY, n bigint NOT NULL)');
    await db.query(
      'INSERT INTO bench_counter SELECT g, 0 FROM generate_series(1, 1000) g ON CONFLICT (id) DO NOTHING',
    );
    const stray = await db.query<{ gid: string }>(
      'SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE $1',
      [`${GID_PREFIX}%`],
    );
    for (const { gid } of stray.rows) await db.query(`ROLLBACK PREPARED '${gid}'`);
  });
  const result: PgCost = { steps: [], fdatasyncPerSecond: fdatasyncRate() };
  for (const concurrency of concurrencies) {
    for (const kind of ['commit', 'prepare+commit-prepared'] as const) {
      const pool = new Pool({ connectionString: databaseUrl, max: concurrency });
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      try {
        const summary = await runClosedLoop({
          label: `pg ${kind === 'commit' ? 'commit' : '2pc'} c=${concurrency}`,
          concurrency,
          durationMs: seconds * 1000,
          operationFor: () => () => oneUpdate(pool, kind === 'prepare+commit-prepared'),
        });
        result.steps.push({ kind, concurrency, summary });
      } finally {
        await pool.end();
      }
    }
  }
  return result;
}

async function oneUpdate(pool: Pool, twoPhase: boolean): Promise<string | undefined> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query('UPDATE bench_counter SET n = n + 1 WHERE id = $1', [
      1 + Math.floor(Math.random() * 1000),
    ]);
    if (!twoPhase) {
      await db.query('COMMIT');
      return undefined;
    }
    const gid = `${GID_PREFIX}${randomUUID()}`; // a uuid: nothing to escape
    await db.query(`PREPARE TRANSACTION '${gid}'`);
    await db.query(`COMMIT PREPARED '${gid}'`);
    return undefined;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    return `pg:${(err as { code?: string }).code ?? (err as Error).message}`;
  } finally {
    db.release();
  }
}

/** fdatasync of one 8 kB write per second, on the disk of the temp directory (the same disk as Postgres here). */
function fdatasyncRate(): number | null {
  const binary = findPgTestFsync();
  if (!binary) return null;
  const file = path.join(os.tmpdir(), `trx-bench-fsync-${process.pid}`);
  try {
    const out = execFileSync(binary, ['-s', '1', '-f', file], { encoding: 'utf8', timeout: 60_000 });
    const section = out.split(/Compare file sync methods using one 8kB write/)[1] ?? '';
    const m = /fdatasync\s+([\d.]+) ops\/sec/.exec(section);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  } finally {
    rmSync(file, { force: true });
  }
}

function findPgTestFsync(): string | undefined {
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(path.join(bindir, 'pg_test_fsync'))) return path.join(bindir, 'pg_test_fsync');
  } catch {
    // no pg_config: look where Debian puts the binaries
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => path.join(root, v, 'bin', 'pg_test_fsync')).find((p) => existsSync(p));
}
