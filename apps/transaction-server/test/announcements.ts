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

/** The entries for `transactionId` in the captured decision batches of `routingKey` (`decision.<service>`). */
export function decisionEntriesFor(
  capture: EventCapture,
  routingKey: string,
  transactionId: string,
): { message: CapturedMessage; entry: DecisionEntry }[] {
  return capture.withKey(routingKey).flatMap((message) => {
    const body = message.body as unknown as Partial<DecisionBatchEvent>;
    if (body.type !== 'decisions' || !Array.isArray(body.decisions)) return [];
    return body.decisions
      .filter((e) => e.transactionId === transactionId)
      .map((entry) => ({ message, entry }));
  });
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
