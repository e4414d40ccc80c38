import type { DataSource } from 'typeorm';
import type { Logger } from '@trx/logging';
import { inBatches } from '@trx/db';
import { gidPrefix, parseGid } from '@trx/protocol';
import { BRANCH_TABLE } from './branch-sql';
import type { FinisherPool } from './finisher-pool';

export interface RetentionOptions {
  service: string;
  /** The runtime's own pool: retention never takes a connection the requests need. */
  db: FinisherPool;
  logger: Logger;
  clock: () => Date;
  /** trx_branch rows older than this are deleted; a branch prepared longer ago is an alarm. */
  retentionMs: number;
  /** Rows one statement deletes at most. */
  batch: number;
}

export interface RetentionReport {
  deleted: number;
  /** This service's branches still prepared after the retention period: each logged as an alarm. */
  stalePrepared: number;
}

/**
 * Deletes trx_branch rows older than the retention period, in small batches that skip rows
 * another session holds. Safe by the rule of docs/architecture.md ("Retention"): a row must
 * outlive every delivery of its decision that can still arrive, which the coordinator's
 * configuration bounds. A branch still prepared after that long is not guessed at — its
 * decision may yet come — but raised as an alarm for an operator.
 */
export async function retainOnce(o: RetentionOptions): Promise<RetentionReport> {
  const before = new Date(o.clock().getTime() - o.retentionMs);
  const stalePrepared = await alarmStalePrepared(o, before);
  const deleted = await inBatches(o.batch, async (limit) => {
    const rows = await o.db.query(
      `DELETE FROM ${BRANCH_TABLE} WHERE gid IN (
         SELECT gid FROM ${BRANCH_TABLE} WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1`,
      [before, limit],
    );
    return rows.length;
  });
  if (deleted > 0) o.logger.info({ deleted }, 'retention deleted old trx_branch rows');
  return { deleted, stalePrepared };
}

async function alarmStalePrepared(o: RetentionOptions, before: Date): Promise<number> {
  const rows = (await o.db.query(
    `SELECT gid, prepared FROM pg_prepared_xacts
      WHERE database = current_database() AND starts_with(gid, $1) AND prepared < $2`,
    [gidPrefix(o.service), before],
  )) as { gid: string; prepared: Date }[];
  for (const { gid, prepared } of rows) {
    o.logger.error(
      {
        alert: 'trx-stale-prepared-branch',
        gid,
        transactionId: parseGid(gid)?.transactionId,
        prepared: new Date(prepared).toISOString(),
        retentionMs: o.retentionMs,
      },
      'ALARM: a branch is still prepared after the retention period; left alone (its decision may yet come), an operator must look',
    );
  }
  return rows.length;
}

/**
 * The index retention reads by. Created under a short lock_timeout: prepared branches hold a
 * lock on trx_branch that CREATE INDEX waits for, and a start must not hang on them. Not
 * created now means retention scans until a later start creates it.
 */
export async function ensureRetentionIndex(dataSource: DataSource, logger: Logger): Promise<void> {
  try {
    await dataSource.transaction(async (m) => {
      await m.query(`SET LOCAL lock_timeout = '500ms'`);
      await m.query(`CREATE INDEX IF NOT EXISTS ${BRANCH_TABLE}_created_at ON ${BRANCH_TABLE} (created_at)`);
    });
  } catch (err) {
    logger.warn(
      { err: (err as Error).message },
      'trx_branch retention index not created now; a later start retries',
    );
  }
}
