import type { Channel, Options } from 'amqplib';
import { deadLetterName, decisionQueue, routingKeys } from '@trx/protocol';

/** Default cap of `<exchange>.dead-letter` and `<exchange>.unroutable` (TRX_DEAD_LETTER_MAX_LENGTH). */
export const DEFAULT_DEAD_LETTER_MAX_LENGTH = 10_000;
/**
 * Default cap of a decision queue. Generous (a decision is under 1 kB, so 100 000 hold well
 * under 100 MB): only a service that stays away for long fills it, and then the publish is
 * nacked, so the decision stays in the coordinator's outbox instead of being dropped.
 */
export const DEFAULT_DECISION_QUEUE_MAX_LENGTH = 100_000;

/**
 * A fanout exchange and a bounded queue of one name, where messages nobody can take are
 * parked for an operator: the oldest go first when it is full (drop-head), so a flood of
 * them can never block a publisher. A parking queue has no dead-letter exchange of its own:
 * what it drops is gone (it is the end of the line, and its overflow would only push the
 * dead letters out).
 */
export async function assertParking(ch: Channel, name: string, maxLength: number): Promise<void> {
  await ch.assertExchange(name, 'fanout', { durable: true });
  await ch.assertQueue(name, { durable: true, maxLength, arguments: { 'x-overflow': 'drop-head' } });
  await ch.bindQueue(name, name, '');
}

/** The same, keeping a queue that was declared before with other arguments (an older trx, another cap). */
export async function keepParking(ch: Channel, name: string): Promise<void> {
  await ch.assertExchange(name, 'fanout', { durable: true });
  await ch.checkQueue(name);
  await ch.bindQueue(name, name, '');
}

/**
 * A service's decision queue: a delivery its consumer rejects is dead-lettered to
 * `<exchange>.dead-letter` (never requeued forever), and a publish into a full queue is
 * nacked to the publisher (reject-publish) rather than dropping the oldest decision.
 */
export async function assertDecisionQueue(
  ch: Channel,
  exchange: string,
  service: string,
  maxLength: number,
): Promise<void> {
  const queue = decisionQueue(service, exchange);
  const options: Options.AssertQueue = {
    durable: true,
    maxLength,
    deadLetterExchange: deadLetterName(exchange),
    arguments: { 'x-overflow': 'reject-publish' },
  };
  await ch.assertQueue(queue, options);
  await ch.bindQueue(queue, exchange, routingKeys.decision(service));
}

/** RabbitMQ's 406 PRECONDITION_FAILED: the object exists with other arguments. */
export function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === 406;
}
