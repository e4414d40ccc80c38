import { isUuid, PRESUMED_ABORT, uuidv7Time } from '@trx/protocol';
import { findTransaction, type Db, type TransactionRecord } from '../data-access';
import type { Actor } from './authorization';
import type { CoordinatorContext } from './context';
import { InvalidRequestError, TransactionNotFoundError } from './errors';
import { lifecycleMessage } from './event-builder';
import { createTransaction } from './state-machine';

/** Only a uuid can name a transaction; anything else is unknown without asking Postgres. */
export function isTransactionId(id: string): boolean {
  return isUuid(id);
}

/**
 * Protocol v2: an initiator needs no begin round trip. It mints the transaction id as a
 * UUIDv7, whose first 48 bits are the milliseconds it was minted at, and the coordinator
 * first hears of the transaction at its commit, rollback or first branch registration.
 * Such a transaction's terms follow from its id alone, so every replica and every caller
 * agree on them without asking anyone: it began at the id's time and its deadline is that
 * time plus the coordinator's default timeout.
 *
 * Presumed abort stays safe through a durable tombstone: asked (resolve) about an unknown
 * transaction past its deadline, the coordinator first records it rolled back, so a commit
 * arriving later — at any replica, whatever its clock says — finds it decided.
 */
export interface ImplicitTerms {
  createdAt: Date;
  timeoutMs: number;
  deadline: Date;
}

/** The terms of a transaction nobody began, or undefined when its id is not a UUIDv7 (only begin makes those). */
export function implicitTerms(ctx: CoordinatorContext, id: string): ImplicitTerms | undefined {
  const minted = uuidv7Time(id);
  if (minted === undefined) return undefined;
  const timeoutMs = ctx.settings.defaultTimeoutMs;
  return { createdAt: new Date(minted), timeoutMs, deadline: new Date(minted + timeoutMs) };
}

/**
 * An id minted more than one timeout ahead of this coordinator's clock: a broken clock at the
 * initiator, refused rather than allowed to hold branches that long.
 */
export function assertNotFromTheFuture(terms: ImplicitTerms, now: Date, id: string): void {
  if (mintedInTheFuture(terms, now)) {
    throw new InvalidRequestError(
      `transaction id ${id} was minted in the future; check the initiator's clock`,
      [{ path: 'id', message: 'a UUIDv7 minted at most one timeout ahead of the coordinator' }],
    );
  }
}

function mintedInTheFuture(terms: ImplicitTerms, now: Date): boolean {
  return terms.createdAt.getTime() > now.getTime() + terms.timeoutMs;
}

/**
 * Inside the caller's local transaction: the row of `id` FOR UPDATE, created active first
 * when the coordinator has not seen it (a UUIDv7 id), with `initiator` as its initiator.
 * Throws TransactionNotFoundError for an unknown id that no implicit transaction can have.
 */
export async function loadOrCreate(
  ctx: CoordinatorContext,
  db: Db,
  id: string,
  initiator: Actor | undefined,
  lock: 'share' | 'update',
): Promise<TransactionRecord> {
  if (!isTransactionId(id)) throw new TransactionNotFoundError(id);
  const transactionId = id.toLowerCase();
  const found = await findTransaction(db, transactionId, lock);
  if (found) return found;
  const terms = implicitTerms(ctx, transactionId);
  if (!terms || initiator === undefined) throw new TransactionNotFoundError(id);
  const now = ctx.clock();
  assertNotFromTheFuture(terms, now, id);
  await createTransaction(
    db,
    newRecord(transactionId, terms, now, { initiator, status: 'active' }),
    'begin',
    [],
  );
  const created = await findTransaction(db, transactionId, lock);
  if (!created) throw new TransactionNotFoundError(id);
  return created;
}

/**
 * A participant's recovery asking about its branch's transaction. Known: as it is. Unknown
 * and within its terms: `active` with no branches, nothing written (ask again later).
 * Unknown past its deadline: tombstoned (rolled back, reason presumed-abort) and answered so.
 */
export async function resolveUnknown(
  ctx: CoordinatorContext,
  id: string,
): Promise<{ transaction: TransactionRecord; tombstoned: boolean }> {
  const transactionId = id.toLowerCase();
  const terms = implicitTerms(ctx, transactionId);
  if (!terms) throw new TransactionNotFoundError(id);
  const now = ctx.clock();
  if (now.getTime() < terms.deadline.getTime() && !mintedInTheFuture(terms, now)) {
    return {
      transaction: newRecord(transactionId, terms, now, { initiator: null, status: 'active' }),
      tombstoned: false,
    };
  }
  const tombstone = newRecord(transactionId, terms, now, { initiator: null, status: 'rolled-back' });
  const event = lifecycleMessage(tombstone, [], now);
  // On the synchronous pool: the tombstone is durable before the participant hears "rolled back".
  const wrote = await createTransaction(ctx.pool, tombstone, 'tombstone', [event]);
  if (wrote) {
    ctx.afterCommit([event.id]);
    ctx.metrics.decided('rollback', PRESUMED_ABORT, (now.getTime() - terms.createdAt.getTime()) / 1000);
    ctx.logger.info({ transactionId }, 'rolled back: unknown past its deadline (tombstone)');
  }
  const stored = await findTransaction(ctx.pool, transactionId);
  if (!stored) throw new TransactionNotFoundError(id);
  return { transaction: stored, tombstoned: wrote };
}

/** Whether `t` is a tombstone: written by resolve, it has no initiator and nobody may decide it. */
export function isTombstone(t: TransactionRecord): boolean {
  return t.initiator === null && t.reason === PRESUMED_ABORT;
}

function newRecord(
  id: string,
  terms: ImplicitTerms,
  now: Date,
  o: { initiator: string | null; status: 'active' | 'rolled-back' },
): TransactionRecord {
  const tombstone = o.status === 'rolled-back';
  return {
    id,
    status: o.status,
    decision: tombstone ? 'rollback' : null,
    reason: tombstone ? PRESUMED_ABORT : null,
    initiator: o.initiator,
    compat: false,
    timeoutMs: terms.timeoutMs,
    deadline: terms.deadline,
    createdAt: terms.createdAt,
    updatedAt: now,
    decidedAt: tombstone ? now : null,
    nextRepublishAt: null,
    republishCount: 0,
    inDoubtSince: null,
    announced: true,
    events: null,
  };
}
