import type { Logger } from '@trx/logging';
import type { DecisionEvent } from '@trx/protocol';
import { isConnectionError } from '@trx/db';
import type { FinishResult } from './branch-finisher';
import type { FinishingBranches } from './finishing-branches';
import { messageOf } from './errors';
import { verifyDecision, type RejectReason } from './decision-verification';
import { pause, type ConsumeResult, type DecisionMessage } from './ports';

export interface DecisionConsumerOptions {
  service: string;
  /** Only decisions published by this broker user (the AMQP `user_id`) are acted on. */
  coordinatorUser: string;
  /** Finishes on the runtime's own pool and queues the acknowledgement to the coordinator. */
  branches: FinishingBranches;
  logger: Logger;
  /** Wait before handing a message back when the database can't take it (no hot loop). */
  retryDelayMs: number;
  /** Aborted on stop, so a waiting retry does not hold the shutdown. */
  signal: AbortSignal;
  onFinished?: (decision: DecisionEvent['decision'], result: FinishResult) => void;
  onRejected?: (reason: RejectReason) => void;
}

/**
 * Handles one decision message: COMMIT/ROLLBACK PREPARED for each of this service's
 * branches, then (by the returned verdict) the broker ack. The acknowledgement to the
 * coordinator is queued, not awaited: if it is lost, the coordinator re-publishes the
 * decision and finishing again is harmless. A database that can't take it now is retried
 * (requeued after a pause). A message that fails verifyDecision — forged, malformed, or
 * naming another transaction or service — changes nothing and is rejected without requeue,
 * so the queue dead-letters it to `<exchange>.dead-letter` once, for an operator to see.
 */
export function decisionHandler(o: DecisionConsumerOptions): (m: DecisionMessage) => Promise<ConsumeResult> {
  return async (message) => {
    const verdict = verifyDecision(message, { service: o.service, coordinatorUser: o.coordinatorUser });
    if (verdict.reason) {
      const { reason } = verdict;
      // Never the body: whatever a forger put there is not ours to log.
      o.logger.warn(
        { messageId: message.messageId, routingKey: message.routingKey, userId: message.userId, reason },
        'decision rejected',
      );
      o.onRejected?.(reason);
      return 'reject';
    }
    const { event } = verdict;
    for (const branch of event.branches) {
      const ids = { transactionId: event.transactionId, branchId: branch.branchId, gid: branch.gid };
      let result: FinishResult;
      try {
        result = await o.branches.finish(ids, event.decision);
      } catch (err) {
        const level = isConnectionError(err) || (err as Error).name === 'BranchBusyError' ? 'warn' : 'error';
        o.logger[level](
          { ...ids, err: messageOf(err), decision: event.decision },
          'could not finish branch; will retry',
        );
        await pause(o.retryDelayMs, o.signal);
        return 'requeue';
      }
      const { outcome, changed } = result;
      o.onFinished?.(event.decision, result);
      // One line per branch per order is the hot path's largest log volume: the ordinary case
      // is debug (the metrics count it); a redelivery or a branch found finished stays visible.
      const level = changed && !message.redelivered ? 'debug' : 'info';
      o.logger[level](
        { ...ids, decision: event.decision, outcome, changed, redelivered: message.redelivered },
        'branch finished',
      );
    }
    return 'ack';
  };
}
