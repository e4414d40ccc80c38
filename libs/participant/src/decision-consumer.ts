import type { Logger } from '@trx/logging';
import { gidPrefix, type DecisionEvent } from '@trx/protocol';
import { isConnectionError } from '@trx/db';
import type { FinishResult } from './branch-finisher';
import type { FinishingBranches } from './finishing-branches';
import { messageOf } from './errors';
import { pause, type ConsumeResult, type DecisionMessage } from './ports';

export interface DecisionConsumerOptions {
  service: string;
  /** Finishes on the runtime's own pool and queues the acknowledgement to the coordinator. */
  branches: FinishingBranches;
  logger: Logger;
  /** Wait before handing a message back when the database can't take it (no hot loop). */
  retryDelayMs: number;
  /** Aborted on stop, so a waiting retry does not hold the shutdown. */
  signal: AbortSignal;
  onFinished?: (decision: DecisionEvent['decision'], result: FinishResult) => void;
}

/**
 * Handles one decision message: COMMIT/ROLLBACK PREPARED for each of this service's
 * branches, then (by the returned verdict) the broker ack. The acknowledgement to the
 * coordinator is queued, not awaited: if it is lost, the coordinator re-publishes the
 * decision and finishing again is harmless. Anything unsure is retried.
 */
export function decisionHandler(o: DecisionConsumerOptions): (m: DecisionMessage) => Promise<ConsumeResult> {
  return async (message) => {
    const event = parseDecision(message.body);
    if (!event || event.service !== o.service) {
      o.logger.error(
        { messageId: message.messageId, routingKey: message.routingKey },
        'unusable decision message',
      );
      return 'reject';
    }
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

function parseDecision(body: unknown): DecisionEvent | undefined {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const e = value as Partial<DecisionEvent> | null;
  if (!e || typeof e.transactionId !== 'string' || typeof e.service !== 'string') return undefined;
  if (e.decision !== 'commit' && e.decision !== 'rollback') return undefined;
  if (!Array.isArray(e.branches)) return undefined;
  const prefix = gidPrefix(e.service);
  const ok = e.branches.every(
    (b) => typeof b?.gid === 'string' && b.gid.startsWith(prefix) && typeof b?.branchId === 'string',
  );
  return ok ? (e as DecisionEvent) : undefined;
}
