import { routingKeys, uuidv7 } from '@trx/protocol';
import type { BranchRecord, NewOutboxMessage, TransactionRecord } from '../data-access';
import type { ForeignParticipants } from '../domain/foreign-participants';
import { compatTransaction, isCompatBranch } from './compat-mapping';

const NOTHING: readonly NewOutboxMessage[] = [];

/**
 * The Spring sample's participants as the core sees them: their branches (a `compat:` gid)
 * are settled by the decision, and a compat transaction's decision also goes out as the
 * sample's `{id, status, participants}` event, once, on `compat.finished`.
 */
export const compatParticipants: ForeignParticipants = {
  settledByDecision: isCompatBranch,
  decisionMessages: (t, branches) => (t.compat ? [compatFinishedMessage(t, branches)] : NOTHING),
};

/** The Spring sample's `{id, status, participants}` body, sent when a compat transaction is decided. */
export function compatFinishedMessage(t: TransactionRecord, branches: BranchRecord[]): NewOutboxMessage {
  return { id: uuidv7(), routingKey: routingKeys.compatFinished, body: compatTransaction(t, branches) };
}
