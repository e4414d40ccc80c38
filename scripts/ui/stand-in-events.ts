import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { makeGid, routingKeys, type DecisionEvent, type LifecycleEvent } from '@trx/protocol';

/**
 * Declares an exchange and a bounded audit queue shaped like the transaction-server's
 * (durable topic exchange; durable queue bound with `#`, `x-max-length`, oldest dropped) and
 * publishes the events of one committed transaction to it, as the coordinator would.
 * Used while the platform cannot run in-process.
 */
export async function publishStandInTransaction(
  amqpUrl: string,
  exchange: string,
  auditQueue: string,
): Promise<{ transactionId: string; routingKeys: string[] }> {
  const transactionId = randomUUID();
  const branches = ['order-service', 'account-service', 'product-service'].map((service) => ({
    branchId: randomUUID(),
    service,
  }));
  const now = () => new Date().toISOString();
  const lifecycle = (type: LifecycleEvent['type'], branchStatus: string): LifecycleEvent => ({
    messageId: randomUUID(),
    type,
    occurredAt: now(),
    transactionId,
    status: type === 'transaction.begun' ? 'active' : 'committed',
    reason: null,
    branches: type === 'transaction.begun' ? [] : branches.map((b) => ({ ...b, status: branchStatus })),
  });
  const decisions: DecisionEvent[] = branches.map((b) => ({
    messageId: randomUUID(),
    type: 'decision',
    occurredAt: now(),
    transactionId,
    service: b.service,
    decision: 'commit',
    branches: [{ branchId: b.branchId, gid: makeGid(b.service, transactionId, b.branchId.slice(0, 8)) }],
  }));
  const events: [string, object & { messageId: string }][] = [
    [routingKeys.begun, lifecycle('transaction.begun', 'registered')],
    ...decisions.map((d): [string, DecisionEvent] => [routingKeys.decision(d.service), d]),
    [routingKeys.committed, lifecycle('transaction.committed', 'committed')],
  ];

  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(auditQueue, {
      durable: true,
      maxLength: 1000,
      arguments: { 'x-overflow': 'drop-head' },
    });
    await channel.bindQueue(auditQueue, exchange, '#');
    for (const [key, body] of events) {
      channel.publish(exchange, key, Buffer.from(JSON.stringify(body)), {
        persistent: true,
        messageId: body.messageId,
        contentType: 'application/json',
      });
    }
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await connection.close();
  }
  return { transactionId, routingKeys: events.map(([key]) => key) };
}
