import type { Request, Response } from 'express';
import type { EntityManager } from 'typeorm';
import {
  CallerGoneError,
  type BranchOptions,
  type BranchStatement,
  type StatementResult,
} from '@trx/participant';
import {
  BRANCH_HEADER,
  ENLIST_BY_INITIATOR,
  ENLIST_HEADER,
  INITIATOR_HEADER,
  TRANSACTION_HEADER,
} from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';
import { transactionIdOf } from './request-parsing';
import { InvalidRequestError } from './service-errors';

/** What a request asks of the participant runtime, read from its headers. */
export interface BranchRequest {
  /** `x-transaction-id`: the transaction the work is a branch of; undefined = a local commit. */
  transactionId: string | undefined;
  /** `x-transaction-enlist: initiator`: the caller enlists the branch with its commit or rollback. */
  enlistedByCaller: boolean;
  /**
   * `x-transaction-initiator`: who initiated the transaction. A participant that registers its
   * branch itself passes it on, since its registration may be the first the coordinator hears
   * of a transaction nobody began (protocol v2).
   */
  initiator: string | undefined;
}

const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What runForRequest needs of the participant runtime (a Participant). */
export interface BranchRunner {
  run<T>(
    transactionId: string | undefined,
    work: (manager: EntityManager) => Promise<T>,
    options?: BranchOptions,
  ): Promise<T>;
  abandon(transactionId: string, gid: string): Promise<unknown>;
}

/** What runStatementsForRequest needs of the participant runtime (a Participant). */
export interface StatementsRunner extends Pick<BranchRunner, 'abandon'> {
  runStatements(
    transactionId: string | undefined,
    statements: readonly BranchStatement[],
    options?: BranchOptions,
  ): Promise<StatementResult[]>;
}

/**
 * Reads the transaction headers of a request; InvalidRequestError (400) for an enlist value
 * other than `initiator`, or an enlist header without a transaction to enlist in.
 */
export function branchRequestOf(req: Request): BranchRequest {
  const transactionId = transactionIdOf(req);
  const initiator = initiatorOf(req);
  const enlist = req.get(ENLIST_HEADER)?.trim();
  if (!enlist) return { transactionId, enlistedByCaller: false, initiator };
  if (enlist !== ENLIST_BY_INITIATOR) {
    throw new InvalidRequestError(`${ENLIST_HEADER} must be "${ENLIST_BY_INITIATOR}"`, {
      header: ENLIST_HEADER,
      value: enlist.slice(0, 80),
    });
  }
  if (!transactionId) {
    throw new InvalidRequestError(`${ENLIST_HEADER} needs the ${TRANSACTION_HEADER} header`, {
      header: ENLIST_HEADER,
    });
  }
  return { transactionId, enlistedByCaller: true, initiator };
}

/** The initiator header, if it names a service; InvalidRequestError (400) for anything else. */
function initiatorOf(req: Request): string | undefined {
  const value = req.get(INITIATOR_HEADER)?.trim();
  if (!value) return undefined;
  if (!SERVICE_NAME.test(value)) {
    throw new InvalidRequestError(`${INITIATOR_HEADER} must name a service`, {
      header: INITIATOR_HEADER,
      value: value.slice(0, 80),
    });
  }
  return value;
}

/**
 * Runs a route's work as its request asks: a branch of the transaction in `x-transaction-id`
 * (registered by the participant, or — with `x-transaction-enlist: initiator` — handed back
 * to the caller as the gid in `x-transaction-branch`), or a local commit without it. The
 * headers are checked before anything runs; the branch header is set before the route
 * sends its body.
 *
 * @example
 *   router.post('/accounts/:id/withdrawals', async (req, res) => {
 *     const result = await runForRequest(participant, req, res, (manager, transactionId) =>
 *       withdraw(accountStore(manager), accountId, cents, transactionId),
 *     );
 *     res.status(201).json(result);
 *   });
 */
export async function runForRequest<T>(
  participant: BranchRunner,
  req: Request,
  res: Response,
  work: (manager: EntityManager, transactionId: string | null) => Promise<T>,
): Promise<T> {
  return asRequestAsks(participant, req, res, (transactionId, options) =>
    participant.run(transactionId, (manager) => work(manager, transactionId ?? null), options),
  );
}

/**
 * runForRequest for work that is known statements: the branch — or, without a transaction,
 * the local commit — in one round trip (Participant.runStatements). `build` makes the
 * statements for the request's transaction id (null without one). Resolves with the
 * statements' results.
 *
 * @example
 *   const [taken] = await runStatementsForRequest(participant, req, res, (transactionId) => [
 *     takeStatement({ productId, quantity, transactionId }),
 *   ]);
 */
export async function runStatementsForRequest(
  participant: StatementsRunner,
  req: Request,
  res: Response,
  build: (transactionId: string | null) => readonly BranchStatement[],
): Promise<StatementResult[]> {
  return asRequestAsks(participant, req, res, (transactionId, options) =>
    participant.runStatements(transactionId, build(transactionId ?? null), options),
  );
}

/** Statements for a transaction id (null: none), sent as a request asks in one round trip; their results. */
export type OneTrip = (
  build: (transactionId: string | null) => readonly BranchStatement[],
) => Promise<StatementResult[]>;

/** runStatementsForRequest bound to one request, for a data-access adapter that builds the statements. */
export function oneTripFor(participant: StatementsRunner, req: Request, res: Response): OneTrip {
  return (build) => runStatementsForRequest(participant, req, res, build);
}

/**
 * The rows of a trip's only statement, or undefined when its `trx_expect` stopped it
 * (SQLSTATE TRX02): the statement found nothing to do, and its transaction wrote nothing.
 */
export async function rowsUnlessRefused<R>(trip: Promise<StatementResult[]>): Promise<R[] | undefined> {
  try {
    const [result] = await trip;
    return (result?.rows ?? []) as R[];
  } catch (err) {
    if (pgCode(err) === PgCodes.expectationFailed) return undefined;
    throw err;
  }
}

/**
 * What both runners share: the headers read (and refused) before anything runs, then `run`
 * with the branch options the request asks for. An enlisted branch whose caller went away
 * before hearing its gid is rolled back (or never prepared).
 */
async function asRequestAsks<T>(
  participant: Pick<BranchRunner, 'abandon'>,
  req: Request,
  res: Response,
  run: (transactionId: string | undefined, options: BranchOptions) => Promise<T>,
): Promise<T> {
  const { transactionId, enlistedByCaller, initiator } = branchRequestOf(req);
  if (!transactionId || !enlistedByCaller) return run(transactionId, { initiator });
  // A caller that is gone can't enlist the branch: don't prepare it, or roll it back at once.
  // One listener: 'close' before the answer was flushed means the caller never got the gid.
  let gone = false;
  let gid: string | undefined;
  let dropped = false;
  const abandon = () => {
    if (!gid || dropped) return;
    dropped = true;
    void participant.abandon(transactionId, gid).catch(() => undefined);
  };
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = true;
    abandon();
  });
  const result = await run(transactionId, {
    enlistedByCaller,
    // An answer already sent (the request's deadline passed) carries no gid: nobody can enlist it.
    abandoned: () => gone || res.headersSent,
    onPrepared: (g) => {
      gid = g;
      if (res.headersSent) gone = true;
      else res.setHeader(BRANCH_HEADER, g);
    },
  });
  if (gone) {
    abandon();
    throw new CallerGoneError(transactionId);
  }
  return result;
}
