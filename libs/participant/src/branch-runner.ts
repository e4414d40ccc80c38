import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Logger } from '@trx/logging';
import type { PoolClient } from 'pg';
import {
  COORDINATOR_CODES,
  errorCodeOf,
  isCoordinatorUnavailable,
  isRejectedRequest,
  isTransactionConflict,
  isTransactionNotFound,
  type CoordinatorApi,
} from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';
import {
  RESET_SESSION,
  newGid,
  assertTransactionId,
  prepareBranchSql,
  preparedCountOf,
  type PreparedCap,
  type Queryable,
} from './branch-sql';
import type { PreparedGauge } from './prepared-cap';
import { rollbackPrepared } from './branch-finisher';
import {
  BranchRefusedError,
  CallerGoneError,
  CoordinatorUnreachableError,
  LockTimeoutError,
  StatementTimeoutError,
  TooManyBranchesError,
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
  finisher: Queryable;
  coordinator: CoordinatorApi;
  logger: Logger;
  /**
   * The cap of this service's branches prepared at once, across replicas (its `max`; 0 = no
   * cap), with this process's estimate of them, which decides which prepares carry the
   * cap's check. One per process, for every branch it runs; undefined = no cap.
   */
  preparedGauge?: PreparedGauge;
}

/** How a branch takes part; the default registers it with the coordinator, voting yes. */
export interface BranchOptions {
  /**
   * The caller (the initiator) enlists the branch with its commit or rollback: it is
   * prepared as usual but not registered, and a failure before PREPARE is not reported to
   * the coordinator (the caller hears of it and rolls back).
   */
  enlistedByCaller?: boolean;
  /** Called with the gid once the branch is prepared (and, unless enlisted, its vote recorded), before runBranch resolves. */
  onPrepared?(gid: string): void;
  /**
   * Enlisted branches: true once nobody can enlist the branch any more (the caller went
   * away). Asked before PREPARE: the work is rolled back instead (CallerGoneError). A
   * branch prepared by a caller that timed out would otherwise keep its row locks until
   * recovery, and every request queued on those rows would time out the same way.
   */
  abandoned?(): boolean;
  /**
   * The service that initiated the transaction (the X-Transaction-Initiator header the
   * branch was called with), sent with the branch's registration: the coordinator records
   * it when this registration is the first it hears of the transaction (protocol v2: no
   * begin round trip). Not used for a branch its caller enlists.
   */
  initiator?: string;
}

/**
 * Runs work as a branch: BEGIN, the work, the branch row + PREPARE TRANSACTION (the durable
 * yes-vote), then — unless the caller enlists it — the vote is recorded by the coordinator
 * before the caller hears back.
 */
export async function runBranch<T>(
  o: BranchRunnerOptions,
  transactionId: string,
  work: Work<T>,
  options: BranchOptions = {},
): Promise<T> {
  return asBranch(o, transactionId, options, (txId, gid) =>
    prepareBranch(o, txId, gid, work, options.abandoned),
  );
}

/**
 * What makes `prepare` a branch, however it reaches PREPARE TRANSACTION under `gid`: a
 * failure before it is the branch's no-vote (told to the coordinator, unless the caller
 * enlists the branch) and the database's bounds as the runtime's errors; once prepared, the
 * yes-vote is recorded (or the caller enlists it) and `onPrepared` hears the gid.
 */
export async function asBranch<T>(
  o: BranchRunnerOptions,
  transactionId: string,
  options: BranchOptions,
  prepare: (txId: string, gid: string) => Promise<T>,
): Promise<T> {
  const txId = assertTransactionId(transactionId);
  const gid = newGid(o.service, txId);
  const log = o.logger.child({ transactionId: txId, gid });
  let result: T;
  try {
    result = await prepare(txId, gid);
  } catch (err) {
    if (options.enlistedByCaller)
      log.info({ reason: messageOf(err) }, 'branch failed before prepare: rolled back');
    else await voteNo(o, txId, gid, err, log, options.initiator);
    throw boundsError(err, txId, gid);
  }
  if (options.enlistedByCaller) {
    log.debug('branch prepared; its caller enlists it');
  } else {
    const branch = await registerYesVote(o, txId, gid, log, options.initiator);
    log.debug({ branchId: branch }, 'branch prepared and its vote recorded');
  }
  options.onPrepared?.(gid);
  return result;
}

/** A plain local transaction, committed at once (the path without a distributed transaction). */
export async function runLocal<T>(dataSource: DataSource, work: Work<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  let closed = false;
  try {
    await runner.startTransaction();
    const result = await work(runner.manager);
    await runner.query(`COMMIT; ${RESET_SESSION}`);
    closed = true;
    return result;
  } catch (err) {
    throw boundsError(err, undefined);
  } finally {
    await release(runner, closed);
  }
}

/**
 * The database's bounds as the runtime's errors: a lock or statement timeout and a full
 * prepared-transaction table are clean, retryable no-votes; anything else passes unchanged.
 */
export function boundsError(err: unknown, txId: string | undefined, gid?: string): unknown {
  const code = pgCode(err);
  if (code === PgCodes.lockNotAvailable) return new LockTimeoutError(txId);
  if (code === PgCodes.queryCanceled) return new StatementTimeoutError(txId);
  const full = code === PgCodes.outOfMemory || code === PgCodes.tooManyPreparedBranches;
  if (full && txId && gid) return new TooManyPreparedError(txId, gid);
  return err;
}

/** BEGIN, the work, then one round trip for the branch row, PREPARE and the session reset. */
async function prepareBranch<T>(
  o: BranchRunnerOptions,
  txId: string,
  gid: string,
  work: Work<T>,
  abandoned?: () => boolean,
): Promise<T> {
  const runner = o.dataSource.createQueryRunner();
  let closed = false;
  try {
    await runner.startTransaction();
    const result = await work(runner.manager);
    if (abandoned?.()) throw new CallerGoneError(txId);
    // If this fails, Postgres has rolled back (PREPARE) or aborted (the row or the cap's check) the transaction.
    await closeBranch(runner, o, txId, gid);
    closed = true;
    return result;
  } finally {
    await release(runner, closed);
  }
}

/** The closing round trip, through the gauge (see closeWithGauge). */
async function closeBranch(runner: QueryRunner, o: BranchRunnerOptions, txId: string, gid: string) {
  await closeWithGauge(o, (cap) => sendClosing(runner, prepareBranchSql(gid, txId, cap), cap));
}

/**
 * Sends a branch's closing statements with `close`, with the cap's check (`cap`) when the
 * gauge says the service may be near its cap; the gauge hears how it went (and the check's
 * count that `close` answers, or that the cap refused it). No gauge: no check, nothing told.
 */
export async function closeWithGauge(
  o: BranchRunnerOptions,
  close: (cap: PreparedCap | undefined) => Promise<number | undefined>,
): Promise<void> {
  const gauge = o.preparedGauge;
  if (!gauge) return void (await close(undefined));
  const ticket = gauge.begin();
  const cap = ticket.check ? { service: o.service, max: gauge.max } : undefined;
  try {
    const count = await close(cap);
    gauge.settle(ticket, { prepared: true, count });
  } catch (err) {
    const capReached = pgCode(err) === PgCodes.tooManyPreparedBranches;
    gauge.settle(ticket, { prepared: false, capReached });
    throw err;
  }
}

/**
 * Sends the closing message; with the cap's check it goes on the runner's own pg client and
 * answers the check's count, because TypeORM keeps the rows of a one-statement message only
 * (the results of several come as an array it drops). Same connection, same transaction.
 */
async function sendClosing(runner: QueryRunner, sql: string, cap: PreparedCap | undefined) {
  if (!cap) {
    await runner.query(sql);
    return undefined;
  }
  const client: PoolClient = await runner.connect();
  return preparedCountOf(await client.query(sql));
}

/**
 * Hands the connection back to the pool out of any transaction and with its session
 * settings reset (a SET inside the work outlives COMMIT and PREPARE). `closed`: the
 * closing statement already ended the transaction and reset the session. A connection
 * that can't be cleaned is destroyed instead of pooled.
 */
async function release(runner: QueryRunner, closed: boolean): Promise<void> {
  try {
    if (!closed) await runner.query(`ROLLBACK; ${RESET_SESSION}`);
    await runner.release();
  } catch {
    await destroy(runner);
  }
}

/**
 * Releases a connection that could not be cleaned without pooling it again: its pg client is
 * ended first, and pg's pool never keeps a client that is ending. (TypeORM's public release()
 * takes no error to say "broken".) A runner that never got a connection is just released.
 */
async function destroy(runner: QueryRunner): Promise<void> {
  if (runner.isReleased) return;
  // connect() hands back the runner's own client (or its failed attempt), never a new one.
  const client: PoolClient | undefined = await runner.connect().catch(() => undefined);
  await client?.end().catch(() => undefined);
  await runner.release().catch(() => undefined);
}

async function voteNo(
  o: BranchRunnerOptions,
  txId: string,
  gid: string,
  cause: unknown,
  log: Logger,
  initiator: string | undefined,
) {
  const reason = messageOf(cause).slice(0, 500);
  log.info({ reason }, 'branch failed before prepare: rolled back, voting no');
  try {
    await o.coordinator.registerBranch(txId, {
      initiator,
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
  initiator: string | undefined,
): Promise<string> {
  try {
    const branch = await o.coordinator.registerBranch(txId, {
      initiator,
      service: o.service,
      instance: o.instance,
      gid,
      vote: 'yes',
    });
    return branch.id;
  } catch (err) {
    if (isCoordinatorUnavailable(err) || !isDefiniteRefusal(err)) {
      // The vote may or may not have been recorded: leave the branch prepared, recovery
      // asks the coordinator later (an active transaction times out into a rollback).
      log.warn({ err: messageOf(err) }, 'vote not confirmed by the coordinator; branch left prepared');
      if (isCoordinatorUnavailable(err)) throw err;
      throw new CoordinatorUnreachableError(txId, err);
    }
    await rollbackPrepared(o.finisher, gid);
    log.info({ err: messageOf(err) }, 'coordinator refused the branch; rolled back');
    if (isTransactionNotFound(err)) throw new UnknownTransactionError(txId);
    const code = errorCodeOf(err);
    if (code === COORDINATOR_CODES.transactionDecided) throw new BranchRefusedError(txId, gid);
    if (code === COORDINATOR_CODES.tooManyBranches) throw new TooManyBranchesError(txId, gid);
    throw err;
  }
}

/** Answers after which the coordinator will never count this branch: safe to roll back now. */
function isDefiniteRefusal(err: unknown): boolean {
  return isTransactionConflict(err) || isTransactionNotFound(err) || isRejectedRequest(err);
}
