import {
  routingKeys,
  type Decision,
  type DecisionEvent,
  type LifecycleEvent,
  type TransactionStatus,
  uuidv7,
} from '@trx/protocol';
import type { BranchRecord, NewOutboxMessage, TransactionRecord } from '../data-access';
import { compatTransaction } from './compat-mapping';

/** What an event says of its transaction. */
export type AnnouncedTransaction = Pick<TransactionRecord, 'id' | 'status' | 'reason'>;

/**
 * Outbox messages for what the coordinator announces. Each body carries its own
 * `messageId`, equal to the AMQP message_id, so consumers can deduplicate.
 */
export function lifecycleMessage(
  t: AnnouncedTransaction,
  branches: BranchRecord[],
  now: Date,
): NewOutboxMessage {
  const type = lifecycleType(t.status);
  const body: LifecycleEvent = {
    messageId: uuidv7(),
    type,
    occurredAt: now.toISOString(),
    transactionId: t.id,
    status: t.status,
    reason: t.reason,
    branches: branches.map((b) => ({ branchId: b.id, service: b.service, status: b.status })),
  };
  return { id: body.messageId, routingKey: type, body };
}

function lifecycleType(status: TransactionStatus): LifecycleEvent['type'] {
  if (status === 'active') return routingKeys.begun;
  if (status === 'committing' || status === 'committed') return routingKeys.committed;
  return routingKeys.rolledBack;
}

/** One decision per participant service, listing that service's branches still to finish. */
export function decisionMessages(
  t: AnnouncedTransaction,
  branches: BranchRecord[],
  decision: Decision,
  now: Date,
): NewOutboxMessage[] {
  const byService = new Map<string, BranchRecord[]>();
  for (const b of branches) byService.set(b.service, [...(byService.get(b.service) ?? []), b]);
  return [...byService].map(([service, list]) => {
    const body: DecisionEvent = {
      messageId: uuidv7(),
      type: 'decision',
      occurredAt: now.toISOString(),
      transactionId: t.id,
      service,
      decision,
      branches: list.map((b) => ({ branchId: b.id, gid: b.gid })),
    };
    return { id: body.messageId, routingKey: routingKeys.decision(service), body };
  });
}

/** The Spring sample's `{id, status, participants}` body, sent when a compat transaction is decided. */
export function compatFinishedMessage(t: TransactionRecord, branches: BranchRecord[]): NewOutboxMessage {
  return { id: uuidv7(), routingKey: routingKeys.compatFinished, body: compatTransaction(t, branches) };
}
