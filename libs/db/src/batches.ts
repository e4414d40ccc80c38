/**
 * Runs `batch(limit)` — one statement deleting at most `limit` rows — until a batch comes
 * back short or `maxBatches` ran: retention works off a backlog over rounds in small
 * statements, each short enough never to hold up the hot path. Returns the rows deleted.
 *
 * @example
 *   await inBatches(500, (n) => pool.query('DELETE ... LIMIT $1 ...', [n]).then((r) => r.rowCount ?? 0));
 */
export async function inBatches(
  limit: number,
  batch: (limit: number) => Promise<number>,
  maxBatches = 20,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await batch(limit);
    total += n;
    if (n < limit) break;
  }
  return total;
}
