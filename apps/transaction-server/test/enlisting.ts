import { randomBytes } from 'node:crypto';
import { makeGid, type EnlistedBranch, type TransactionView } from '@trx/protocol';
import { queryDatabase } from '@trx/test-support';

/** A prepared branch of `tx` as the initiator enlists it, with a fresh gid of its service. */
export function preparedBranch(
  service: string,
  tx: TransactionView,
  finishedByCaller = false,
): EnlistedBranch {
  return {
    service,
    gid: makeGid(service, tx.id, randomBytes(4).toString('hex')),
    ...(finishedByCaller ? { finishedByCaller } : {}),
  };
}

/** The routing keys of every outbox row written for a transaction, sorted. */
export async function outboxKeys(dbUrl: string, transactionId: string): Promise<string[]> {
  const rows = await queryDatabase<{ routing_key: string }>(
    dbUrl,
    `SELECT routing_key FROM trx_outbox WHERE body->>'transactionId' = $1 ORDER BY routing_key`,
    [transactionId],
  );
  return rows.map((r) => r.routing_key);
}

export async function unpublishedCount(dbUrl: string): Promise<number> {
  const [row] = await queryDatabase<{ n: number }>(
    dbUrl,
    'SELECT count(*)::int AS n FROM trx_outbox WHERE published_at IS NULL',
  );
  return row!.n;
}
