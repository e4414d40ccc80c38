import { randomBytes } from 'node:crypto';
// The source, not the package: the bench starts (and builds the platform) before any dist/ exists.
import { makeGid, type OutcomeBatchRequest } from '../../libs/protocol/src';
import { failureOf, HttpJson, networkFailure } from './http-json';
import type { Operation } from './load-driver';
import { DEFAULT_RABBIT_API, deleteQueue } from './rabbit-probe';

/**
 * The coordinator alone (diagnostic mode `coordinator`): the calls one order makes of the
 * transaction-server, with no participant behind them — begin, commit with the three
 * prepared branches enlisted (their yes-votes), and one batch of the three outcome
 * acknowledgements sent after COMMIT PREPARED. The branches belong to a service of the bench's own
 * (`trx-bench`), which no participant consumes decisions for, so nothing else is touched.
 * It measures what the coordinator can decide per second and what it costs per order.
 */
export const BENCH_SERVICE = 'trx-bench';
const BRANCHES = 3;

export class CoordinatorOnly {
  private readonly http: HttpJson;
  private readonly instance = `trx-bench-${process.pid}`;

  constructor(
    url: string,
    concurrency: number,
    private readonly exchange: string,
  ) {
    this.http = new HttpJson(url, concurrency);
  }

  operation(): Operation {
    return async () => {
      try {
        return await this.oneTransaction();
      } catch (err) {
        return networkFailure(err);
      }
    };
  }

  async close(): Promise<void> {
    this.http.close();
    await deleteQueue(DEFAULT_RABBIT_API, `${this.exchange}.decisions.${BENCH_SERVICE}`);
  }

  private async oneTransaction(): Promise<string | undefined> {
    const begun = await this.http.request('POST', '/v1/transactions', {
      timeoutMs: 10_000,
      initiator: BENCH_SERVICE,
    });
    if (begun.status !== 201 && begun.status !== 200) return `begin:${failureOf(begun)}`;
    const txId = (begun.body as { id: string }).id;
    const branches = Array.from({ length: BRANCHES }, () => ({
      service: BENCH_SERVICE,
      instance: this.instance,
      gid: makeGid(BENCH_SERVICE, txId, randomBytes(6).toString('hex')),
    }));
    const commit = await this.http.request('POST', `/v1/transactions/${txId}/commit`, { branches });
    if (commit.status !== 200) return `commit:${failureOf(commit)}`;
    const acks: OutcomeBatchRequest = {
      outcomes: branches.map((b) => ({ transactionId: txId, gid: b.gid, outcome: 'committed' })),
    };
    const recorded = await this.http.request('POST', '/v1/outcomes', acks);
    if (recorded.status !== 200) return `outcome:${failureOf(recorded)}`;
    const { rejected } = recorded.body as { rejected: { error: string }[] };
    return rejected.length > 0 ? `outcome:${rejected[0]!.error}` : undefined;
  }
}
