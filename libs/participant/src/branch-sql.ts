import type { QueryResult } from 'pg';
import { makeGid, gidPrefix, isUuid, randomBytesPooled } from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';
import { ForeignBranchError, InvalidTransactionIdError } from './errors';

/**
 * The SQL of the runtime. Its own table `trx_branch` holds one row per branch, written in
 * the branch's own transaction: after COMMIT PREPARED the row exists, after a rollback it
 * doesn't. That is how a decision for a gid that is no longer prepared is told apart.
 */
export const BRANCH_TABLE = 'trx_branch';

/** What makeGid can produce from a validated service, uuid and hex key: nothing to escape. */
const SAFE_GID = /^[a-z0-9:-]{1,200}$/;

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export function assertTransactionId(transactionId: string): string {
  if (typeof transactionId !== 'string' || !isUuid(transactionId)) {
    throw new InvalidTransactionIdError(String(transactionId));
  }
  return transactionId.toLowerCase();
}

/** The ids of a branch of `service` in `transactionId`, or ForeignBranchError when the gid is another's. */
export function assertBranchOf(service: string, transactionId: string, gid: string) {
  const txId = assertTransactionId(transactionId);
  if (typeof gid !== 'string' || !gid.startsWith(`${gidPrefix(service)}${txId}:`)) {
    throw new ForeignBranchError(txId, String(gid), service);
  }
  return { transactionId: txId, gid };
}

/** A new gid for a branch of `transactionId`: service, transaction and a random branch key. */
export function newGid(service: string, transactionId: string): string {
  return makeGid(service, assertTransactionId(transactionId), randomBytesPooled(6).toString('hex'));
}

/**
 * The gid as an SQL string literal. PREPARE / COMMIT PREPARED take no parameters, so the
 * gid is checked against the alphabet of makeGid and quoted.
 */
export function gidLiteral(gid: string): string {
  if (!SAFE_GID.test(gid)) throw new Error(`refusing an unsafe gid in SQL: ${JSON.stringify(gid)}`);
  return `'${gid.replace(/'/g, "''")}'`;
}

export async function createBranchTable(db: Queryable): Promise<void> {
  try {
    // One message, under an advisory lock: replicas starting together take turns (CREATE OR
    // REPLACE FUNCTION of two sessions at once fails with "tuple concurrently updated").
    await db.query(
      `BEGIN;
       SELECT pg_advisory_xact_lock(hashtext('${BRANCH_TABLE}'));
       CREATE TABLE IF NOT EXISTS ${BRANCH_TABLE} (
         gid text PRIMARY KEY,
         transaction_id text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now());
       ${PREPARED_CAP_FUNCTION};
       ${PREPARED_COUNT_FUNCTION};
       ${EXPECT_FUNCTION};
       COMMIT`,
    );
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    // Two replicas starting together can both pass IF NOT EXISTS; the loser sees a duplicate.
    if (pgCode(err) !== PgCodes.uniqueViolation && pgCode(err) !== '42P07') throw err;
  }
}

/**
 * A branch's closing statements, in order: the cap's check when `cap` is given (the runner
 * gives it only near the cap: see prepared-cap), its trx_branch row, PREPARE TRANSACTION and
 * RESET ALL. They go as one simple-protocol message after the work (prepareBranchSql), so
 * they are written as literals: PREPARE takes no parameters, and such a message none at
 * all; the gid and the uuid are checked against the alphabets they are made of and quoted.
 * The row goes last on purpose: in a transaction the work left aborted (a failed statement
 * it caught), PREPARE alone would roll back silently and report no error; the INSERT fails
 * instead. RESET ALL runs after the transaction ends, because a SET in the work outlives
 * PREPARE.
 */
export function closingStatements(gid: string, transactionId: string, cap?: PreparedCap): string[] {
  const row = `INSERT INTO ${BRANCH_TABLE} (gid, transaction_id) VALUES (${gidLiteral(gid)}, '${assertTransactionId(transactionId)}')`;
  return closing(gid, { text: row }, cap).map((s) => s.text);
}

/**
 * The closing statements at the end of a pipeline (statements-branch): the same, but the
 * trx_branch row goes with parameters, so a connection plans its INSERT once (a named
 * statement, like the work's).
 */
export function closingPipeline(
  gid: string,
  transactionId: string,
  cap?: PreparedCap,
): { text: string; values?: unknown[] }[] {
  const row = {
    text: `INSERT INTO ${BRANCH_TABLE} (gid, transaction_id) VALUES ($1, $2)`,
    values: [gid, assertTransactionId(transactionId)],
  };
  return closing(gid, row, cap);
}

/** The check (when due), the row, PREPARE, RESET ALL: what both forms of the closing statements share. */
function closing(
  gid: string,
  row: { text: string; values?: unknown[] },
  cap: PreparedCap | undefined,
): { text: string; values?: unknown[] }[] {
  const check = cap && cap.max > 0 ? [{ text: preparedCapCheck(cap) }] : [];
  return [...check, row, { text: `PREPARE TRANSACTION ${gidLiteral(gid)}` }, { text: RESET_SESSION }];
}

/** The closing statements as one simple-protocol message: a branch's closing round trip after its work. */
export function prepareBranchSql(gid: string, transactionId: string, cap?: PreparedCap): string {
  return closingStatements(gid, transactionId, cap).join('; ');
}

/** At most `max` branches of `service` prepared at once in this database (all replicas). */
export interface PreparedCap {
  service: string;
  max: number;
}

/**
 * The cap's check, first in the closing round trip (no extra one): `trx_prepared_count_below`
 * counts the service's own gids among the database's prepared transactions — a scan of a
 * shared-memory array of max_prepared_transactions entries, through pg_prepared_xact()
 * itself (the pg_prepared_xacts view joins two catalogs per row) — raises SQLSTATE TRX01 at
 * the cap, which stops the rest of the message, so nothing is prepared, and else answers the
 * count (column `prepared`), which feeds the runner's gauge. A function of the database
 * (created with trx_branch), not an anonymous DO block: a session plans it once, where a DO
 * block is compiled again on every prepare. Concurrent branches can each pass it at max-1,
 * and a prepare carries it only near the cap (prepared-cap): the cap is soft by the prepares
 * racing and by other replicas' prepares since the runner's last reading, still well below
 * max_prepared_transactions when sized by it (the hard limit, SQLSTATE 53200 at PREPARE).
 */
function preparedCapCheck(cap: PreparedCap): string {
  const prefix = gidPrefix(cap.service);
  if (!SAFE_GID.test(prefix)) throw new Error(`refusing an unsafe gid prefix in SQL: ${prefix}`);
  return `SELECT trx_prepared_count_below('${prefix}', ${Math.floor(cap.max)}) AS prepared`;
}

/**
 * The check's answer out of the closing message's results: pg answers a message of several
 * statements with one result per statement (its types say one), the check's first; a
 * pipeline's result of the check is passed alone. Undefined when there is none to read (a
 * message without the check).
 */
export function preparedCountOf(answer: QueryResult | QueryResult[]): number | undefined {
  const first = Array.isArray(answer) ? answer[0] : answer;
  const count: unknown = first?.rows?.[0]?.prepared;
  return typeof count === 'number' ? count : undefined;
}

/**
 * What the closing message called before trx_prepared_count_below. Kept, unchanged: replicas
 * of an older release still call it during a rolling upgrade.
 */
const PREPARED_CAP_FUNCTION = `CREATE OR REPLACE FUNCTION trx_assert_prepared_below(p_prefix text, p_max integer)
  RETURNS void LANGUAGE plpgsql AS $trx$
  BEGIN
    IF (SELECT count(*) FROM pg_prepared_xact() p
         WHERE p.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND starts_with(p.gid, p_prefix)) >= p_max THEN
      RAISE EXCEPTION '% has % branches prepared, its cap', rtrim(split_part(p_prefix, ':', 2), ':'), p_max
        USING ERRCODE = '${PgCodes.tooManyPreparedBranches}';
    END IF;
  END $trx$`;

/** trx_assert_prepared_below that also answers the count it read: the gauge's reading. */
const PREPARED_COUNT_FUNCTION = `CREATE OR REPLACE FUNCTION trx_prepared_count_below(p_prefix text, p_max integer)
  RETURNS integer LANGUAGE plpgsql AS $trx$
  DECLARE
    n integer;
  BEGIN
    SELECT count(*) INTO n FROM pg_prepared_xact() p
     WHERE p.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND starts_with(p.gid, p_prefix);
    IF n >= p_max THEN
      RAISE EXCEPTION '% has % branches prepared, its cap', rtrim(split_part(p_prefix, ':', 2), ':'), p_max
        USING ERRCODE = '${PgCodes.tooManyPreparedBranches}';
    END IF;
    RETURN n;
  END $trx$`;

/**
 * `trx_expect(ok, reason)`: true when `ok` is, else raises SQLSTATE TRX02 with `reason`. How
 * work sent in one round trip with what follows it (runStatements) says "nothing to do here"
 * as an error, so that nothing after it runs: a conditional UPDATE that matched no row
 * returns no rows, which stops nothing, and PREPARE (or the Sync's commit) would go on.
 */
const EXPECT_FUNCTION = `CREATE OR REPLACE FUNCTION trx_expect(p_ok boolean, p_reason text)
  RETURNS boolean LANGUAGE plpgsql AS $trx$
  BEGIN
    IF p_ok IS NOT TRUE THEN
      RAISE EXCEPTION '%', p_reason USING ERRCODE = '${PgCodes.expectationFailed}';
    END IF;
    RETURN true;
  END $trx$`;

/** Session settings back to their defaults (they survive COMMIT, PREPARE and ROLLBACK). */
export const RESET_SESSION = 'RESET ALL';

export async function branchRowExists(db: Queryable, gid: string): Promise<boolean> {
  const rows = (await db.query(`SELECT 1 FROM ${BRANCH_TABLE} WHERE gid = $1`, [gid])) as unknown[];
  return rows.length > 0;
}

export async function isPrepared(db: Queryable, gid: string): Promise<boolean> {
  const rows = (await db.query(
    'SELECT 1 FROM pg_prepared_xacts WHERE database = current_database() AND gid = $1',
    [gid],
  )) as unknown[];
  return rows.length > 0;
}

/** This service's prepared gids in this database, prepared before `before`. */
export async function listPreparedBefore(db: Queryable, service: string, before: Date): Promise<string[]> {
  const rows = (await db.query(
    `SELECT gid FROM pg_prepared_xacts
      WHERE database = current_database() AND gid LIKE $1 || '%' AND prepared < $2
      ORDER BY prepared`,
    [gidPrefix(service), before],
  )) as { gid: string }[];
  return rows.map((r) => r.gid);
}

/** This service's prepared branches in this database: how many, and the oldest one's age by Postgres's clock. */
export interface PreparedSummary {
  count: number;
  oldestAgeSeconds: number;
}

export async function summarizePrepared(db: Queryable, service: string): Promise<PreparedSummary> {
  const rows = (await db.query(
    `SELECT count(*)::int AS count,
            GREATEST(0, COALESCE(EXTRACT(EPOCH FROM now() - min(prepared)), 0))::float8 AS age
       FROM pg_prepared_xacts
      WHERE database = current_database() AND starts_with(gid, $1)`,
    [gidPrefix(service)],
  )) as { count: number; age: number }[];
  return { count: rows[0]?.count ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
}
