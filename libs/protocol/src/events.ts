import type { Decision, TransactionStatus } from './statuses';

/** The durable topic exchange every trx event is published to. */
export const DEFAULT_EXCHANGE = 'trx-events';

/**
 * Routing keys. Decisions are routed per participant service so that one queue per
 * service (shared by its replicas) receives only its own; lifecycle events are for
 * anyone watching (bind `transaction.#` or `#`).
 */
export const routingKeys = {
  decision: (service: string) => `decision.${service}`,
  begun: 'transaction.begun',
  committed: 'transaction.committed',
  rolledBack: 'transaction.rolled-back',
  /** The Spring-sample compatible `{id, status, participants}` body on finish. */
  compatFinished: 'compat.transaction.finished',
  orderConfirmed: 'order.confirmed',
} as const;

/** The queue a participant service consumes its decisions from. */
export function decisionQueue(service: string, exchange: string = DEFAULT_EXCHANGE): string {
  return `${exchange}.decisions.${service}`;
}

/** Where messages the exchange could not route to any queue land: a fanout exchange and a bounded queue of this name. */
export function unroutableName(exchange: string = DEFAULT_EXCHANGE): string {
  return `${exchange}.unroutable`;
}

/**
 * Where a participant's refused decisions (forged, malformed, naming another transaction or
 * service) go: the decision queues' dead-letter exchange (fanout) and a bounded queue, both
 * of this name.
 */
export function deadLetterName(exchange: string = DEFAULT_EXCHANGE): string {
  return `${exchange}.dead-letter`;
}

/** Every event body carries these. The AMQP `message_id` property equals `messageId`. */
export interface EventEnvelope<T extends string> {
  messageId: string;
  type: T;
  occurredAt: string;
}

/**
 * A single transaction's decision for one service: what the coordinator published before
 * protocol v2. Participants still act on it for one release (docs/deploy.md, "Upgrading").
 */
export interface DecisionEvent extends EventEnvelope<'decision'> {
  transactionId: string;
  service: string;
  decision: Decision;
  /** The branches of this service that the decision applies to. */
  branches: { branchId: string; gid: string }[];
}

/** One transaction's decision inside a DecisionBatchEvent. */
export interface DecisionEntry {
  transactionId: string;
  decision: Decision;
  /** The branches of the batch's service that the decision applies to. */
  branches: { branchId: string; gid: string }[];
}

/**
 * Protocol v2: the decisions of many transactions for one participant service, one message
 * per service per publishing round (routing key `decision.<service>`). The participant acks
 * the message once every entry is finished; an entry it can't accept (malformed, naming
 * another service or transaction) goes to the dead-letter exchange on its own.
 */
export interface DecisionBatchEvent extends EventEnvelope<'decisions'> {
  service: string;
  decisions: DecisionEntry[];
}

/** Entries one DecisionBatchEvent carries at most. */
export const MAX_DECISIONS_PER_MESSAGE = 500;

export interface LifecycleEvent extends EventEnvelope<
  'transaction.begun' | 'transaction.committed' | 'transaction.rolled-back'
> {
  transactionId: string;
  status: TransactionStatus;
  reason: string | null;
  branches: { branchId: string; service: string; status: string }[];
}

export interface OrderConfirmedEvent extends EventEnvelope<'order.confirmed'> {
  orderId: string;
  transactionId: string;
  customerId: number;
  productId: number;
  quantity: number;
  /** Money is a JSON number with at most 2 decimals (stored as numeric(14,2), computed in cents). */
  unitPrice: number;
  total: number;
}
