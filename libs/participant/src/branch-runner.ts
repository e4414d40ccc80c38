import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Logger } from '@trx/logging';
import type { CoordinatorApi } from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';
import { gidLiteral, insertBranch, newGid, assertTransactionId } from './branch-sql';
import { rollbackPrepared } from './branch-finisher';
import {
  BranchRefusedError,
  CoordinatorUnreachableError,
  TooManyPreparedError,
  UnknownTransactionError,
  messageOf,
} from './errors';

export type Work<T> = (manager: EntityManager) => Promise<T>;

export interface BranchRunnerOptions {
  service: string;
  instance: string;
  dataSource: DataSource;
  /** Where ROLLBACK PREPARED runs (the pool of work may be full of lock waiters). */
  finisher: DataSource;
  coordinator: CoordinatorApi;
  logger: Logger;
}

/**
 * Runs work as a branch: BEGIN, the branch row, the work, PREPARE TRANSACTION (the durable
 * yes-vote), then the vote is recorded by the coordinator before the caller hears back.
 */
export async function runBranch<T>(o: BranchRunnerOptions, transactionId: string, work: Work<T>): Promise<T> {
  const txId = assertTransactionId(transactionId);
  const gid = newGid(o.service, txId);
  const log = o.logger.child({ transactionId: txId, gid });
  let result: T;
  try {
    result = await prepareBranch(o.dataSource, txId, gid, work);
  } catch (err) {
    await voteNo(o, txId, gid, err, log);
    if (pgCode(err) === PgCodes.outOfMemory) throw new TooManyPreparedError(txId, gid);
    throw err;
  }
  const branch = await registerYesVote(o, txId, gid, log);
  log.debug({ branchId: branch }, 'branch prepared and its vote recorded');
  return result;
}

/** A plain local transaction, committed at once (the path without a distributed transaction). */
export async function runLocal<T>(dataSource: DataSource, work: Work<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  let ok = false;
  try {
    await runner.startTransaction();
    const result = await work(runner.manager);
    await runner.commitTransaction();
    ok = true;
    return result;
  } finally {
    await releaseClean(runner, ok);
  }
}

async function prepareBranch<T>(
  dataSource: DataSource,
  txId: string,
  gid: string,
  work: Work<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  let prepared = false;
  try {
    await runner.startTransaction();
    await insertBranch(runner, gid, txId);
    const result = await work(runner.manager);
    // If PREPARE fails, Postgres has already rolled the transaction back.
    await runner.query(`PREPARE TRANSACTION ${gidLiteral(gid)}`);
    prepared = true;
    return result;
  } finally {
    await releaseClean(runner, prepared);
  }
}

/**
 * Hands the connection back to the pool out of any transaction and with its session
 * settings reset (a SET inside the work outlives COMMIT and PREPARE). A connection that
 * can't be cleaned is destroyed instead of pooled.
 */
async function releaseClean(runner: QueryRunner, finished: boolean): Promise<void> {
  try {
    if (!finished) await runner.query('ROLLBACK');
    await runner.query('RESET ALL');
    await runner.release();
  } catch (err) {
    const destroy = (runner as unknown as { releasePostgresConnection?: (e: unknown) => Promise<void> })
      .releasePostgresConnection;
    if (destroy) await destroy.call(runner, err instanceof Error ? err : new Error(String(err)));
    else await runner.release().catch(() => undefined);
  }
}

async function voteNo(o: BranchRunnerOptions, txId: string, gid: string, cause: unknown, log: Logger) {
  const reason = messageOf(cause).slice(0, 500);
  log.info({ reason }, 'branch failed before prepare: rolled back, voting no');
  try {
    await o.coordinator.registerBranch(txId, {
      service: o.service,
      instance: o.instance,
      gid,
      vote: 'no',
      reason,
    });
  } catch (err) {
    // Best effort: the transaction rolls back anyway once the initiator hears of the failure.
    log.warn({ err: messageOf(err) }, 'could not record the no-vote');
  }
}

async function registerYesVote(
  o: BranchRunnerOptions,
  txId: string,
  gid: string,
  log: Logger,
): Promise<string> {
  try {
    const branch = await o.coordinator.registerBranch(txId, {
      service: o.service,
      instance: o.instance,
      gid,
      vote: 'yes',
    });
    return branch.id;
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'CoordinatorUnavailableError' || !isDefiniteRefusal(name)) {
      // The vote may or may not have been recorded: leave the branch prepared, recovery
      // asks the coordinator later (an active transaction times out into a rollback).
      log.warn({ err: messageOf(err) }, 'vote not confirmed by the coordinator; branch left prepared');
      if (name === 'CoordinatorUnavailableError') throw err;
      throw new CoordinatorUnreachableError(txId, err);
    }
    await rollbackPrepared(o.finisher, gid);
    log.info({ err: messageOf(err) }, 'coordinator refused the branch; rolled back');
    if (name === 'TransactionNotFoundError') throw new UnknownTransactionError(txId);
    if ((err as { code?: string }).code === 'transaction-decided') throw new BranchRefusedError(txId, gid);
    throw err;
  }
}

/** Answers after which the coordinator will never count this branch: safe to roll back now. */
function isDefiniteRefusal(name: string): boolean {
  return ['TransactionConflictError', 'TransactionNotFoundError', 'InvalidRequestError'].includes(name);
}
