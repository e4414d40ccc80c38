import type { PoolClient, QueryResult } from 'pg';
import { poolOf, queryPipelined, withPooledClient, type PipelinedStatement } from '@trx/db';
import type { DataSource } from 'typeorm';
import {
  asBranch,
  boundsError,
  closeWithGauge,
  type BranchOptions,
  type BranchRunnerOptions,
} from './branch-runner';
import { RESET_SESSION, closingPipeline, preparedCountOf } from './branch-sql';
import { CallerGoneError } from './errors';

/** A statement's result as pg reads it (rows parsed with the client's types). */
export type StatementResult = QueryResult;

/** A statement of a branch's work: its text and parameters. */
export type BranchStatement = Pick<PipelinedStatement, 'text' | 'values'>;

/**
 * Runs work that is known statements as a branch in one round trip: BEGIN, the statements,
 * then the closing statements (the cap's check when the gauge asks for it, the trx_branch row,
 * PREPARE TRANSACTION, RESET ALL) pipelined in one write with one Sync (@trx/db's
 * queryPipelined), where runBranch takes a round trip for the work and one to close. Resolves
 * with the statements' results, in order, once the branch is prepared; the rest is runBranch's
 * (asBranch): the votes, `enlistedByCaller`, `onPrepared`, the errors.
 *
 * A failed statement stops the pipeline there: PREPARE is never reached (or failed itself, and
 * Postgres rolled back), so nothing is prepared, and the connection goes back to the pool
 * cleaned as runBranch's does, or is destroyed. `abandoned` is asked before anything is sent:
 * nothing runs between the work and PREPARE any more. The connection comes from the
 * DataSource's own pool, so the DataSource must be made with `{ driver: pgDriver() }` (poolOf).
 */
export async function runStatementsAsBranch(
  o: BranchRunnerOptions,
  transactionId: string,
  statements: readonly BranchStatement[],
  options: BranchOptions = {},
): Promise<QueryResult[]> {
  return asBranch(o, transactionId, options, (txId, gid) =>
    withPooledClient(poolOf(o.dataSource), async (client, discard) => {
      // Asked once the connection is ours: the caller may have gone while the pool was full.
      if (options.abandoned?.()) throw new CallerGoneError(txId);
      return prepareStatements(client, discard, o, { txId, gid }, statements);
    }),
  );
}

/**
 * The statements as one local transaction in one round trip (the path without a distributed
 * transaction): pipelined with no BEGIN, so Postgres runs them in the implicit transaction
 * that the Sync commits, or rolls back at the first that fails (nothing after it runs).
 * Resolves with their results; the database's bounds come as runLocal's errors.
 */
export async function runStatementsLocally(
  dataSource: DataSource,
  statements: readonly BranchStatement[],
): Promise<QueryResult[]> {
  try {
    return await withPooledClient(poolOf(dataSource), (client) => queryPipelined(client, statements));
  } catch (err) {
    throw boundsError(err, undefined);
  }
}

/** BEGIN, the statements and the closing ones in one pipeline, through the gauge; the statements' results. */
async function prepareStatements(
  client: PoolClient,
  discard: (reason: Error) => void,
  o: BranchRunnerOptions,
  ids: { txId: string; gid: string },
  statements: readonly BranchStatement[],
): Promise<QueryResult[]> {
  let results: QueryResult[] = [];
  let closed = false;
  try {
    await closeWithGauge(o, async (cap) => {
      const closing = closingPipeline(ids.gid, ids.txId, cap);
      const answers = await queryPipelined(client, [{ text: 'BEGIN' }, ...statements, ...closing]);
      results = answers.slice(1, 1 + statements.length);
      // The check, when sent, is the first closing statement.
      return cap ? preparedCountOf(answers[1 + statements.length]!) : undefined;
    });
    closed = true;
    return results;
  } finally {
    if (!closed) await cleanUp(client, discard);
  }
}

/**
 * Ends the transaction the failed pipeline left (aborted, or none when PREPARE itself failed:
 * ROLLBACK then only warns) and resets the session, as runBranch's release does; a connection
 * that can't be cleaned is discarded, and the pool destroys it.
 */
async function cleanUp(client: PoolClient, discard: (reason: Error) => void): Promise<void> {
  await client.query(`ROLLBACK; ${RESET_SESSION}`).catch((err: Error) => discard(err));
}
