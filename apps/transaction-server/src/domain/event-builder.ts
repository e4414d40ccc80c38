import {
  MAX_DECISIONS_PER_MESSAGE,
  routingKeys,
  type CommitEvent,
  type Decision,
  type DecisionBatchEvent,
  type DecisionEntry,
  type LifecycleEvent,
  type TransactionStatus,
  uuidv7,
  uuidv8Of,
} from '@trx/protocol';
import type { BranchRecord, NewOutboxMessage, TransactionRecord } from '../data-access';
import { isBranchFinal } from './state-machine';

/** What an event says of its transaction. */
export type AnnouncedTransaction = Pick<TransactionRecord, 'id' | 'status' | 'reason'>;

/**
 * Outbox messages for what the coordinator announces. Each body carries its own
 * `messageId`, equal to the AMQP message_id, so consumers can deduplicate. A lifecycle
 * event's id follows from its transaction and status (lifecycleEventId): the same event
 * sent again — a re-publish after a round the broker did not confirm whole — keeps its id.
 */
export function lifecycleMessage(
  t: AnnouncedTransaction,
  branches: BranchRecord[],
  now: Date,
): NewOutboxMessage {
  const type = lifecycleType(t.status);
  const body: LifecycleEvent = {
    messageId: lifecycleEventId(t.id, t.status),
    type,
    occurredAt: now.toISOString(),
    transactionId: t.id,
    status: t.status,
    reason: t.reason,
    branches: branches.map((b) => ({ branchId: b.id, service: b.service, status: b.status })),
  };
  return { id: body.messageId, routingKey: type, body };
}

/** One id per lifecycle event there can be: its transaction and status (see lifecycleMessage). */
export function lifecycleEventId(transactionId: string, status: TransactionStatus): string {
  return uuidv8Of(`${transactionId}/${status}`);
}

function lifecycleType(status: TransactionStatus): LifecycleEvent['type'] {
  if (status === 'active') return routingKeys.begun;
  if (status === 'committing' || status === 'committed') return routingKeys.committed;
  return routingKeys.rolledBack;
}

/**
 * A decided transaction for the publisher to announce once its decision is committed: the
 * decision to every service with branches to finish, its lifecycle event, and on commit the
 * events its initiator handed over.
 */
export interface Announcement {
  transaction: TransactionRecord;
  branches: BranchRecord[];
  /** What else the decision publishes (ForeignParticipants.decisionMessages), when anything. */
  messages?: readonly NewOutboxMessage[];
}

/**
 * The messages of one publishing round: per participant service one DecisionBatchEvent
 * carrying every transaction's branches of that service still to finish (not those the
 * initiator finishes itself), then per transaction its lifecycle event, the messages the
 * announcement carries (foreign participants'), and on commit its initiator's events.
 */
export function announcementMessages(list: Announcement[], now: Date): NewOutboxMessage[] {
  const entries = list.flatMap(({ transaction, branches }) =>
    decisionEntries(
      transaction,
      branches.filter((b) => !isBranchFinal(b.status) && !b.finishedByCaller),
    ),
  );
  const messages = decisionBatches(entries, now);
  for (const { transaction: t, branches, messages: extra } of list) {
    messages.push(...decisionEvents(t, branches, now, extra));
  }
  return messages;
}

/** What a decision tells the watchers: its lifecycle event, `extra` (foreign participants'), the initiator's on commit. */
export function decisionEvents(
  t: TransactionRecord,
  branches: BranchRecord[],
  now: Date,
  extra: readonly NewOutboxMessage[] = [],
): NewOutboxMessage[] {
  const messages = [lifecycleMessage(t, branches, now), ...extra];
  if (t.decision === 'commit') messages.push(...(t.events ?? []).map(commitEventMessage));
  return messages;
}

type ServiceEntry = { service: string; entry: DecisionEntry };

/** One entry per service with branches in `branches`, for transaction `t`'s decision. */
export function decisionEntries(t: TransactionRecord, branches: BranchRecord[]): ServiceEntry[] {
  const byService = new Map<string, BranchRecord[]>();
  for (const b of branches) byService.set(b.service, [...(byService.get(b.service) ?? []), b]);
  const decision: Decision = t.decision ?? 'rollback';
  return [...byService].map(([service, own]) => ({
    service,
    entry: {
      transactionId: t.id,
      decision,
      branches: own.map((b) => ({ branchId: b.id, gid: b.gid })),
    },
  }));
}

/** The entries as one DecisionBatchEvent per service (more when one exceeds MAX_DECISIONS_PER_MESSAGE). */
export function decisionBatches(entries: ServiceEntry[], now: Date): NewOutboxMessage[] {
  const byService = new Map<string, DecisionEntry[]>();
  for (const { service, entry } of entries) {
    const list = byService.get(service) ?? [];
    list.push(entry);
    byService.set(service, list);
  }
  const messages: NewOutboxMessage[] = [];
  for (const [service, list] of byService) {
    for (let i = 0; i < list.length; i += MAX_DECISIONS_PER_MESSAGE) {
      const body: DecisionBatchEvent = {
        messageId: uuidv7(),
        type: 'decisions',
        occurredAt: now.toISOString(),
        service,
        decisions: list.slice(i, i + MAX_DECISIONS_PER_MESSAGE),
      };
      messages.push({ id: body.messageId, routingKey: routingKeys.decision(service), body });
    }
  }
  return messages;
}

/** An initiator's event as it goes out: its own messageId is the AMQP message_id (consumers deduplicate by it). */
export function commitEventMessage(event: CommitEvent): NewOutboxMessage {
  return { id: event.body.messageId, routingKey: event.routingKey, body: event.body };
}
