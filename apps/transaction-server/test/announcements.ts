import type { DecisionBatchEvent, DecisionEntry } from '@trx/protocol';
import { queryDatabase, waitFor, type CapturedMessage, type EventCapture } from '@trx/test-support';

/**
 * Protocol v2 helpers: a decision is announced by the publisher after its commit (the row is
 * its own outbox, `announced`), in DecisionBatchEvents that carry many transactions.
 */

/** Whether the transaction's decision has been announced (broker-confirmed, row marked). */
export async function isAnnounced(dbUrl: string, transactionId: string): Promise<boolean | undefined> {
  const [row] = await queryDatabase<{ announced: boolean }>(
    dbUrl,
    'SELECT announced FROM trx_transaction WHERE id = $1',
    [transactionId],
  );
  return row?.announced;
}

/**
 * Waits until the publisher marked the decision announced. A participant hears a decision
 * only once it is published, so a test acknowledging "as a participant" waits for this first:
 * an acknowledgement of an unannounced decision leaves the transaction decided until the
 * re-publish announces it.
 */
export async function waitAnnounced(dbUrl: string, transactionId: string): Promise<void> {
  await waitFor(async () => (await isAnnounced(dbUrl, transactionId)) === true, {
    description: `the decision of ${transactionId} announced`,
  });
}

/** A decision entry as captured: with its batch's service and the batch message. */
export interface CapturedDecision extends DecisionEntry {
  /** The batch's service (its routing key is `decision.<service>`). */
  service: string;
  /** The batch message: its routing key, message id, persistence and whole body. */
  message: CapturedMessage;
}

/** Every decision entry captured so far, flattened out of their batches, in arrival order. */
export function capturedDecisions(capture: EventCapture): CapturedDecision[] {
  return capture.messages.flatMap((message) => {
    const body = message.body as unknown as Partial<DecisionBatchEvent>;
    if (body.type !== 'decisions' || !Array.isArray(body.decisions)) return [];
    return body.decisions.map((entry) => ({ ...entry, service: body.service!, message }));
  });
}

/** The entries for `transactionId` in the captured decision batches of `routingKey` (`decision.<service>`). */
export function decisionEntriesFor(
  capture: EventCapture,
  routingKey: string,
  transactionId: string,
): { message: CapturedMessage; entry: DecisionEntry }[] {
  return capturedDecisions(capture)
    .filter((d) => d.message.routingKey === routingKey && d.transactionId === transactionId)
    .map(({ message, service: _service, ...entry }) => ({ message, entry }));
}

/** Waits for the first captured decision entry for `transactionId` on `routingKey`. */
export async function waitForDecisionEntry(
  capture: EventCapture,
  routingKey: string,
  transactionId: string,
): Promise<{ message: CapturedMessage; entry: DecisionEntry }> {
  return waitFor(() => decisionEntriesFor(capture, routingKey, transactionId)[0], {
    description: `a decision for ${transactionId} on ${routingKey}`,
  });
}
