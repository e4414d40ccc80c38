import {
  sourcesOf,
  TRANSACTION_TRANSITIONS,
  type BranchStatus,
  type CommitEvent,
  type TransactionStatus,
} from '@trx/protocol';
import type { NewBranch } from './branch-repository';
import { outboxColumns, type NewOutboxMessage } from './outbox-repository';
import { toTransaction, type Db, type TransactionRecord } from './records';

export type RowLock = 'none' | 'share' | 'update';
const LOCKS: Record<RowLock, string> = { none: '', share: 'FOR SHARE', update: 'FOR UPDATE' };

/**
 * The transaction and its outbox rows in one statement: one round trip, one commit. Nothing
 * is written when a row of that id exists already (a concurrent first word about the same
 * transaction); resolves whether this call wrote it.
 */
export async function insertTransaction(
  db: Db,
  t: TransactionRecord,
  outbox: NewOutboxMessage[],
): Promise<boolean> {
  const { rows } = await db.query(
    `WITH t AS (
       INSERT INTO trx_transaction (id, status, decision, reason, initiator, compat, timeout_ms, deadline,
                                    created_at, updated_at, decided_at, announced)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (id) DO NOTHING
       RETURNING id),
     o AS (
       INSERT INTO trx_outbox (id, routing_key, body)
       SELECT * FROM unnest($13::uuid[], $14::text[], $15::jsonb[]) WHERE EXISTS (SELECT 1 FROM t))
     SELECT id FROM t`,
    [
      t.id,
      t.status,
      t.decision,
      t.reason,
      t.initiator,
      t.compat,
      t.timeoutMs,
      t.deadline,
      t.createdAt,
      t.updatedAt,
      t.decidedAt,
      t.announced,
      ...outboxColumns(outbox),
    ],
  );
  return rows.length > 0;
}

export async function findTransaction(
  db: Db,
  id: string,
  lock: RowLock = 'none',
): Promise<TransactionRecord | undefined> {
  const { rows } = await db.query(`SELECT * FROM trx_transaction WHERE id = $1 ${LOCKS[lock]}`, [id]);
  return rows[0] ? toTransaction(rows[0]) : undefined;
}

export interface StatusChange {
  decision?: string;
  reason?: string | null;
  decidedAt?: Date;
  nextRepublishAt?: Date | null;
  /** False with a decision the publisher is to announce (protocol v2: the row is its own outbox). */
  announced?: boolean;
  events?: CommitEvent[] | null;
}

/**
 * One transaction's status change, checked by the caller against the transition table
 * (domain/state-machine.ts transitionTransaction) and conditional on the status it saw, so
 * of two replicas deciding the same transaction exactly one gets a row back. The outbox
 * rows are written in the same statement, and only if the status changed. The other writes
 * of a status take theirs from the same tables: insertTransaction, commitInOneStatement,
 * finishTransactions and markAnnounced.
 */
export async function updateTransactionStatus(
  db: Db,
  id: string,
  expected: TransactionStatus,
  next: TransactionStatus,
  now: Date,
  change: StatusChange = {},
  outbox: NewOutboxMessage[] = [],
): Promise<TransactionRecord | undefined> {
  const { rows } = await db.query(
    `WITH t AS (
       UPDATE trx_transaction
          SET status = $3, updated_at = $4,
              decision = COALESCE($5, decision),
              reason = CASE WHEN $6::boolean THEN $7 ELSE reason END,
              decided_at = COALESCE($8, decided_at),
              next_republish_at = CASE WHEN $9::boolean THEN $10 ELSE next_republish_at END,
              announced = COALESCE($14, announced),
              events = CASE WHEN $15::boolean THEN $16::jsonb ELSE events END
        WHERE id = $1 AND status = $2
        RETURNING *),
     o AS (
       INSERT INTO trx_outbox (id, routing_key, body)
       SELECT * FROM unnest($11::uuid[], $12::text[], $13::jsonb[]) WHERE EXISTS (SELECT 1 FROM t))
     SELECT * FROM t`,
    [
      id,
      expected,
      next,
      now,
      change.decision ?? null,
      change.reason !== undefined,
      change.reason ?? null,
      change.decidedAt ?? null,
      change.nextRepublishAt !== undefined,
      change.nextRepublishAt ?? null,
      ...outboxColumns(outbox),
      change.announced ?? null,
      change.events !== undefined,
      change.events ? JSON.stringify(change.events) : null,
    ],
  );
  return rows[0] ? toTransaction(rows[0]) : undefined;
}

/** What the usual commit writes in its one statement. */
export interface OneStatementCommit {
  id: string;
  now: Date;
  republishAt: Date;
  /** Create the row when there is none (a UUIDv7 id: protocol v2's implicit begin). */
  create: boolean;
  /** For a transaction this commit creates: when it began (its id's time), its timeout and deadline. */
  createdAt: Date;
  timeoutMs: number;
  deadline: Date;
  branches: NewBranch[];
  events: CommitEvent[] | null;
  initiator: string;
  /** The statuses a begun transaction may be committed from, the status it moves to, and its branches' (the tables'). */
  statuses: { from: readonly TransactionStatus[]; next: TransactionStatus; branch: BranchStatus };
}

/**
 * The usual commit in one statement and one round trip (`trx_commit_v3`, see its
 * migration): a transaction not seen before is created committing with its enlisted
 * branches; a begun one, in a status of `statuses.from` (active), in time, not a
 * Spring-sample one and without branches yet, gets them and the decision. Undefined, with nothing written, otherwise: the caller then
 * decides the general way. No outbox row: the row is announced by the publisher.
 */
export async function commitInOneStatement(
  db: Db,
  c: OneStatementCommit,
): Promise<TransactionRecord | undefined> {
  const { rows } = await db.query(
    'SELECT * FROM trx_commit_v3($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)',
    [
      c.id,
      c.now,
      c.republishAt,
      c.create,
      c.createdAt,
      c.timeoutMs,
      c.deadline,
      c.branches.map((b) => b.id),
      c.branches.map((b) => b.service),
      c.branches.map((b) => b.instance),
      c.branches.map((b) => b.gid),
      c.branches.map((b) => b.finishedByCaller),
      c.events ? JSON.stringify(c.events) : null,
      c.initiator,
      c.statuses.from,
      c.statuses.next,
      c.statuses.branch,
    ],
  );
  return rows[0] ? toTransaction(rows[0]) : undefined;
}

/** The transition table's only ways to end: what markAnnounced may move a transaction from. */
const ENDS_COMMITTED = sourcesOf(TRANSACTION_TRANSITIONS, 'committed');
const ENDS_ROLLED_BACK = sourcesOf(TRANSACTION_TRANSITIONS, 'rolled-back');

/**
 * The publisher's mark once the broker confirmed a round's announcements: one statement for
 * the round, on the asynchronous pool (a lost mark only announces again after a crash).
 * With `finish`, a transaction whose every branch acknowledged before its announcement was
 * marked (the initiator finishes its own branch the moment it is answered) ends in the same
 * statement, committing → committed, rolling-back → rolled-back (the statuses come from the
 * transition table); an acknowledgement committed concurrently, unseen here, leaves it to the
 * re-publish, which ends it without sending anything.
 */
export async function markAnnounced(db: Db, ids: string[], now: Date, finish: boolean): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE trx_transaction t
        SET announced = true,
            status = CASE WHEN done THEN (CASE WHEN t.status = ANY($4::text[]) THEN 'committed' ELSE 'rolled-back' END)
                          ELSE t.status END,
            next_republish_at = CASE WHEN done THEN NULL ELSE t.next_republish_at END,
            updated_at = CASE WHEN done THEN $2 ELSE t.updated_at END
       FROM (SELECT x.id,
                    $3::boolean AND (x.status = ANY($4::text[]) OR x.status = ANY($5::text[])) AND NOT EXISTS (
                      SELECT 1 FROM trx_branch b
                       WHERE b.transaction_id = x.id AND b.status NOT IN ('committed','rolled-back')) AS done
               FROM trx_transaction x WHERE x.id = ANY($1::uuid[])) d
      WHERE t.id = d.id AND NOT t.announced`,
    [ids, now, finish, ENDS_COMMITTED, ENDS_ROLLED_BACK],
  );
}

export interface FinishChange {
  id: string;
  expected: TransactionStatus;
  next: TransactionStatus;
  /** Written only if this transaction's status changed. */
  outbox: NewOutboxMessage[];
}

/**
 * Ends several acknowledged transactions in one statement, each conditional on the status
 * the caller saw (as updateTransactionStatus) and on its decision being announced (one not
 * yet announced stays decided, so the re-publish still finds and announces it); returns the
 * ones that changed.
 */
export async function finishTransactions(
  db: Db,
  changes: FinishChange[],
  now: Date,
): Promise<TransactionRecord[]> {
  if (changes.length === 0) return [];
  const messages = changes.flatMap((c) => c.outbox.map((m) => ({ ...m, transactionId: c.id })));
  const { rows } = await db.query(
    `WITH input AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS i (id, expected, next)),
     t AS (
       UPDATE trx_transaction x SET status = i.next, updated_at = $4, next_republish_at = NULL
         FROM input i WHERE x.id = i.id AND x.status = i.expected AND x.announced
       RETURNING x.*),
     o AS (
       INSERT INTO trx_outbox (id, routing_key, body)
       SELECT m.id, m.routing_key, m.body
         FROM unnest($5::uuid[], $6::text[], $7::jsonb[], $8::uuid[]) AS m (id, routing_key, body, transaction_id)
        WHERE m.transaction_id IN (SELECT id FROM t))
     SELECT * FROM t`,
    [
      changes.map((c) => c.id),
      changes.map((c) => c.expected),
      changes.map((c) => c.next),
      now,
      ...outboxColumns(messages),
      messages.map((m) => m.transactionId),
    ],
  );
  return rows.map(toTransaction);
}

/** Locks the transactions in id order, so two batches that share some never deadlock. */
export async function lockTransactions(db: Db, ids: string[]): Promise<TransactionRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    'SELECT * FROM trx_transaction WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
    [ids],
  );
  return rows.map(toTransaction);
}

/** The next re-publish and the count so far; a transaction re-published again is no longer in doubt. */
export async function scheduleRepublish(db: Db, id: string, next: Date, count: number): Promise<void> {
  await db.query(
    `UPDATE trx_transaction SET next_republish_at = $2, republish_count = $3, in_doubt_since = NULL WHERE id = $1`,
    [id, next, count],
  );
}

/**
 * Deletes up to `limit` finished (committed or rolled-back, so acknowledged by every branch)
 * transactions last changed before `before`, with their branches, in one statement. Rows
 * another session holds are skipped, never waited for. The branches go in the same
 * statement: the foreign key is checked at its end.
 */
export async function deleteFinishedTransactions(db: Db, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `WITH doomed AS (
       SELECT id FROM trx_transaction
        WHERE status IN ('committed','rolled-back') AND updated_at < $1
        ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED),
     b AS (DELETE FROM trx_branch WHERE transaction_id IN (SELECT id FROM doomed))
     DELETE FROM trx_transaction WHERE id IN (SELECT id FROM doomed)`,
    [before, limit],
  );
  return rowCount ?? 0;
}

/** Re-publishing stops: the transaction waits for an operator (or a late acknowledgement). */
export async function markInDoubt(db: Db, id: string, now: Date): Promise<void> {
  await db.query('UPDATE trx_transaction SET in_doubt_since = $2, next_republish_at = NULL WHERE id = $1', [
    id,
    now,
  ]);
}

/** Where a page starts: after the transaction with this id (and, if it is gone, this creation time). */
export interface ListPosition {
  id: string;
  createdAt: string;
}

/** What a list may be narrowed by; every filter is optional and they combine with AND. */
export interface ListFilter {
  status?: TransactionStatus;
  compat?: boolean;
  /** Has at least one branch of this service. */
  service?: string;
  /** Created before this instant (the console's "older than N s"). */
  createdBefore?: Date;
  /**
   * Only those domain/stuck.ts calls stuck: active past its deadline at `now`, or decided and
   * unfinished since before `decidedBefore`, or in doubt. Keep the two in step.
   */
  stuck?: { now: Date; decidedBefore: Date };
}

/**
 * Up to `limit` transactions, newest first (created_at, id), after `after` when given — a
 * keyset page, no count and no OFFSET. A position whose row was deleted meanwhile
 * (retention) still pages on from its creation time.
 */
export async function listTransactions(
  db: Db,
  query: ListFilter & { limit: number; after?: ListPosition },
): Promise<TransactionRecord[]> {
  const filters = [
    query.status ? 'status = $1' : '$1::text IS NULL',
    '($5::boolean IS NULL OR compat = $5)',
    `($3::uuid IS NULL OR (created_at, id) <
       (COALESCE((SELECT created_at FROM trx_transaction WHERE id = $3), $4::timestamptz), $3))`,
    // trx_branch_transaction (transaction_id, ...) serves the EXISTS per candidate row.
    `($6::text IS NULL OR EXISTS (SELECT 1 FROM trx_branch b WHERE b.transaction_id = t.id AND b.service = $6))`,
    '($7::timestamptz IS NULL OR created_at < $7)',
    `($8::timestamptz IS NULL
       OR (status = 'active' AND deadline <= $8)
       OR (status IN ('committing','rolling-back') AND (in_doubt_since IS NOT NULL OR decided_at <= $9)))`,
  ];
  const { rows } = await db.query(
    `SELECT * FROM trx_transaction t WHERE ${filters.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
    [
      query.status ?? null,
      query.limit,
      query.after?.id ?? null,
      query.after?.createdAt ?? null,
      query.compat ?? null,
      query.service ?? null,
      query.createdBefore ?? null,
      query.stuck?.now ?? null,
      query.stuck?.decidedBefore ?? null,
    ],
  );
  return rows.map(toTransaction);
}

/** Active transactions past their deadline, locked; rows another replica holds are skipped. */
export async function claimExpired(db: Db, now: Date, limit: number): Promise<TransactionRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM trx_transaction WHERE status = 'active' AND deadline <= $1
      ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows.map(toTransaction);
}

/** Decided, unacknowledged transactions whose re-publish is due, locked (SKIP LOCKED). */
export async function claimRepublishDue(db: Db, now: Date, limit: number): Promise<TransactionRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM trx_transaction
      WHERE status IN ('committing','rolling-back') AND next_republish_at <= $1
      ORDER BY next_republish_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows.map(toTransaction);
}
