/**
 * Every transaction the coordinator knows, with its branches, through its REST API
 * (`GET /v1/transactions`, paged). Read once the platform has settled.
 */
import type { ListTransactionsResponse, TransactionView } from '@trx/protocol';

const PAGE = 200;

export async function listTransactions(coordinatorUrl: string, status?: string): Promise<TransactionView[]> {
  const all: TransactionView[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (status) params.set('status', status);
    const res = await fetch(`${coordinatorUrl}/v1/transactions?${params}`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200)
      throw new Error(`GET /v1/transactions answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as ListTransactionsResponse;
    all.push(...page.items);
    if (page.items.length < PAGE || all.length >= page.total) return all;
  }
}

/** How many transactions are not finished (active, or decided but not acknowledged by every branch). */
export async function countUnfinished(coordinatorUrl: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const status of ['active', 'committing', 'rolling-back']) {
    const params = new URLSearchParams({ status, limit: '1' });
    const res = await fetch(`${coordinatorUrl}/v1/transactions?${params}`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (res.status !== 200) throw new Error(`GET /v1/transactions answered ${res.status}`);
    counts[status] = ((await res.json()) as ListTransactionsResponse).total;
  }
  return counts;
}
