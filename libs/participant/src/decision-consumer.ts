import type { DataSource } from 'typeorm';
import type { Logger } from '@trx/logging';
import { gidPrefix, type CoordinatorApi, type DecisionEvent } from '@trx/protocol';
import { isConnectionError } from '@trx/db';
import { finishBranch, type FinishResult } from './branch-finisher';
import { messageOf } from './errors';
import { pause, type ConsumeResult, type DecisionMessage } from './ports';

export interface DecisionConsumerOptions {
  service: string;
  dataSource: DataSource;
  coordinator: CoordinatorApi;
  logger: Logger;
  /** Wait before handing a message back when the database can't take it (no hot loop). */
  retryDelayMs: number;
  /** Aborted on stop, so a waiting retry does not hold the shutdown. */
  signal: AbortSignal;
  onFinished?: (decision: DecisionEvent['decision'], result: FinishResult) => void;
}

/**
 * Handles one decision message: COMMIT/ROLLBACK PREPARED for each of this service's
 * branches, then the outcome to the coordinator, then (by the returned verdict) the
 * broker ack — in that order. Re-delivery is harmless, so anything unsure is retried.
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
      const log = o.logger.child(ids);
      let result: FinishResult;
      try {
        result = await finishBranch(o.dataSource, o.logger, ids, event.decision);
      } catch (err) {
        const level = isConnectionError(err) || (err as Error).name === 'BranchBusyError' ? 'warn' : 'error';
        log[level]({ err: messageOf(err), decision: event.decision }, 'could not finish branch; will retry');
        await pause(o.retryDelayMs, o.signal);
        return 'requeue';
      }
      const { outcome, changed } = result;
      o.onFinished?.(event.decision, result);
      log.info(
        { decision: event.decision, outcome, changed, redelivered: message.redelivered },
        'branch finished',
      );
      await recordOutcome(o.coordinator, ids, outcome, log);
    }
    return 'ack';
  };
}

async function recordOutcome(
  coordinator: CoordinatorApi,
  ids: { transactionId: string; branchId: string },
  outcome: 'committed' | 'rolled-back',
  log: Logger,
): Promise<void> {
  try {
    await coordinator.recordOutcome(ids.transactionId, ids.branchId, { outcome });
  } catch (err) {
    // The broker message is acked anyway: the coordinator re-publishes decisions whose
    // outcome it has not heard, and finishing the branch again is harmless.
    log.warn({ err: messageOf(err), outcome }, 'could not record the outcome with the coordinator');
  }
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
