import { randomUUID } from 'node:crypto';
import type { Logger } from '@trx/logging';
import type { Decision, DecisionEntry } from '@trx/protocol';
import { isConnectionError, pgCode } from '@trx/db';
import { BranchBusyError, type FinishResult } from './branch-finisher';
import type { FinishingBranches } from './finishing-branches';
import { mapBounded } from './bounded';
import { messageOf } from './errors';
import { verifyDecision, type EntryRejectReason, type RejectReason } from './decision-verification';
import { pause, type ConsumeResult, type DecisionMessage, type ParticipantBroker } from './ports';

/**
 * Branches of one message finished at once. The finisher pool has 2 connections by default:
 * a few more in flight keep them busy, hundreds would only queue on them (and hold the
 * pool's waiters past their timeouts).
 */
export const DEFAULT_DECISION_CONCURRENCY = 8;

/** Why an entry of a batch was dead-lettered on its own. */
export type EntryDeadLetterReason =
  | EntryRejectReason
  /** COMMIT/ROLLBACK PREPARED failed for a reason retrying won't cure; recovery finishes it later. */
  | 'finish-failed';

/** The `reason` label of `trx_decisions_rejected_total`: a whole message, or one entry of a batch. */
export type DecisionRejectReason = RejectReason | EntryDeadLetterReason;

export interface DecisionConsumerOptions {
  service: string;
  /** Only decisions published by this broker user (the AMQP `user_id`) are acted on. */
  coordinatorUser: string;
  /** Finishes on the runtime's own pool and queues the acknowledgement to the coordinator. */
  branches: Pick<FinishingBranches, 'finish'>;
  /** Where a batch's refused entries are parked, one by one. */
  broker: Pick<ParticipantBroker, 'deadLetter'>;
  logger: Logger;
  /** Wait before handing a message back when the database can't take it (no hot loop). */
  retryDelayMs: number;
  /** Branches of one message finished at once; default DEFAULT_DECISION_CONCURRENCY. */
  concurrency?: number;
  /** Aborted on stop, so a waiting retry does not hold the shutdown. */
  signal: AbortSignal;
  onFinished?: (decision: Decision, result: FinishResult) => void;
  onRejected?: (reason: DecisionRejectReason) => void;
}

/** An entry set aside instead of finished: dead-lettered alone, the rest of its message acked. */
interface SetAside {
  reason: EntryDeadLetterReason;
  entry: unknown;
}

/** One branch of one entry of the message. */
interface BranchTask {
  entry: DecisionEntry;
  branch: DecisionEntry['branches'][number];
}

/** How a branch went: finished, worth another delivery, or failed for good (its entry is set aside). */
type BranchResult = 'finished' | 'retry' | 'failed';

/**
 * Handles one decision message — a batch of many transactions' decisions (protocol v2) or an
 * old single decision — COMMIT/ROLLBACK PREPARED for each of this service's branches, then
 * (by the returned verdict) the broker ack, once every entry is finished or dead-lettered.
 *
 * The acknowledgement to the coordinator is queued, not awaited: if it is lost, the
 * coordinator re-publishes the decision and finishing again is harmless. For the same reason
 * a database that can't take a branch now sends the whole message back (requeued after a
 * pause): the branches already finished are found finished next time.
 *
 * A message that fails verifyDecision as a whole — forged, malformed, for another service —
 * changes nothing and is rejected without requeue, so the queue dead-letters it to
 * `<exchange>.dead-letter` once, for an operator to see. A batch's entry that fails on its
 * own (malformed, naming another transaction or service) or can't be finished for good is
 * published there alone, so one poison entry can't hold up a whole round of decisions; a
 * branch it leaves prepared is finished by recovery.
 */
export function decisionHandler(o: DecisionConsumerOptions): (m: DecisionMessage) => Promise<ConsumeResult> {
  return async (message) => {
    const verdict = verifyDecision(message, { service: o.service, coordinatorUser: o.coordinatorUser });
    if (verdict.reason) return rejectMessage(o, message, verdict.reason);
    const failed = await finishAll(o, message, verdict.decisions);
    if (failed === 'retry') return retryLater(o);
    const setAside = [
      ...verdict.poison,
      ...failed.map((entry) => ({ reason: 'finish-failed' as const, entry })),
    ];
    if (!(await deadLetterEntries(o, message, setAside))) return retryLater(o);
    return 'ack';
  };
}

function rejectMessage(
  o: DecisionConsumerOptions,
  message: DecisionMessage,
  reason: RejectReason,
): ConsumeResult {
  // Never the body: whatever a forger put there is not ours to log.
  o.logger.warn(
    { messageId: message.messageId, routingKey: message.routingKey, userId: message.userId, reason },
    'decision rejected',
  );
  o.onRejected?.(reason);
  return 'reject';
}

async function retryLater(o: DecisionConsumerOptions): Promise<ConsumeResult> {
  await pause(o.retryDelayMs, o.signal);
  return 'requeue';
}

/**
 * Finishes every branch of the entries, a few at once. Resolves with the entries a branch of
 * which failed for good, or 'retry' once a branch failed in a way another delivery may cure
 * (the branches not started by then are left for that delivery).
 */
async function finishAll(
  o: DecisionConsumerOptions,
  message: DecisionMessage,
  entries: DecisionEntry[],
): Promise<DecisionEntry[] | 'retry'> {
  const tasks: BranchTask[] = entries.flatMap((entry) => entry.branches.map((branch) => ({ entry, branch })));
  let retrying = false;
  const results = await mapBounded(tasks, o.concurrency ?? DEFAULT_DECISION_CONCURRENCY, async (task) => {
    if (retrying) return 'retry';
    const result = await finishOne(o, message, task);
    if (result === 'retry') retrying = true;
    return result;
  });
  if (retrying) return 'retry';
  const failed = new Set(tasks.filter((_, i) => results[i] === 'failed').map((t) => t.entry));
  return [...failed];
}

async function finishOne(
  o: DecisionConsumerOptions,
  message: DecisionMessage,
  task: BranchTask,
): Promise<BranchResult> {
  const { entry, branch } = task;
  const ids = { transactionId: entry.transactionId, branchId: branch.branchId, gid: branch.gid };
  let result: FinishResult;
  try {
    result = await o.branches.finish(ids, entry.decision);
  } catch (err) {
    if (isRetryable(err)) {
      o.logger.warn(
        { ...ids, err: messageOf(err), decision: entry.decision },
        'could not finish branch; will retry',
      );
      return 'retry';
    }
    o.logger.error(
      { ...ids, err: messageOf(err), decision: entry.decision },
      'could not finish branch; its decision is dead-lettered and recovery finishes it',
    );
    return 'failed';
  }
  const { outcome, changed } = result;
  o.onFinished?.(entry.decision, result);
  // One line per branch per order is the hot path's largest log volume: the ordinary case
  // is debug (the metrics count it); a redelivery or a branch found finished stays visible.
  const level = changed && !message.redelivered ? 'debug' : 'info';
  o.logger[level](
    { ...ids, decision: entry.decision, outcome, changed, redelivered: message.redelivered },
    'branch finished',
  );
  return 'finished';
}

/**
 * SQLSTATE classes that describe the database's state at the moment, not the statement:
 * 08 connection exception, 40 transaction rollback, 53 insufficient resources, 55 object
 * not in prerequisite state (a busy branch; "database is not currently accepting
 * connections"), 57 operator intervention (shutdown, cannot connect now, a cancelled statement).
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '55', '57']);

/**
 * Whether the same decision can succeed on another delivery: the database is away or busy,
 * or another session holds the branch. Anything else (a privilege, a bug) would fail the
 * same way every time, so it must not hold up the message's other entries.
 */
function isRetryable(err: unknown): boolean {
  if (err instanceof BranchBusyError || isConnectionError(err)) return true;
  const code = pgCode(err);
  return code !== undefined && TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

/**
 * Parks each set-aside entry in `<exchange>.dead-letter` as a message of its own, with where
 * it came from. False when the broker did not confirm: the message is then delivered again
 * (its good entries are found finished) rather than acked with an entry lost.
 */
async function deadLetterEntries(
  o: DecisionConsumerOptions,
  message: DecisionMessage,
  setAside: SetAside[],
): Promise<boolean> {
  if (setAside.length === 0) return true;
  const letters = setAside.map(({ reason, entry }) => ({
    routingKey: message.routingKey,
    messageId: randomUUID(),
    body: { reason, service: o.service, sourceMessageId: message.messageId ?? null, entry },
  }));
  try {
    await o.broker.deadLetter(letters);
  } catch (err) {
    o.logger.warn(
      { messageId: message.messageId, entries: letters.length, err: messageOf(err) },
      'could not dead-letter decision entries; will retry the message',
    );
    return false;
  }
  for (const { messageId, body } of letters) {
    // Never the entry: like a refused message's body, it is not ours to log.
    o.logger.warn(
      {
        messageId: message.messageId,
        routingKey: message.routingKey,
        deadLetterId: messageId,
        reason: body.reason,
      },
      'decision entry dead-lettered',
    );
    o.onRejected?.(body.reason);
  }
  return true;
}
