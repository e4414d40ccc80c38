import { randomBytes } from 'node:crypto';
import { failureOf, HttpJson, networkFailure } from './http-json';
import type { Operation } from './load-driver';
import { DEFAULT_RABBIT_API, deleteQueue } from './rabbit-probe';

/**
 * The coordinator alone (diagnostic mode `coordinator`): the calls one order makes of the
 * transaction-server, with no participant behind them — begin, three branches registered
 * with a yes-vote, commit, and the three outcome acknowledgements a participant sends
 * after COMMIT PREPARED. The branches belong to a service of the bench's own
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
    const branchIds: string[] = [];
    for (let i = 0; i < BRANCHES; i++) {
      const gid = `trx:${BENCH_SERVICE}:${txId}:${randomBytes(6).toString('hex')}`;
      const branch = await this.http.request('POST', `/v1/transactions/${txId}/branches`, {
        service: BENCH_SERVICE,
        instance: this.instance,
        gid,
        vote: 'yes',
      });
      if (branch.status !== 201 && branch.status !== 200) return `register:${failureOf(branch)}`;
      branchIds.push((branch.body as { id: string }).id);
    }
    const commit = await this.http.request('POST', `/v1/transactions/${txId}/commit`);
    if (commit.status !== 200) return `commit:${failureOf(commit)}`;
    const acks = await Promise.all(
      branchIds.map((b) =>
        this.http.request('PUT', `/v1/transactions/${txId}/branches/${b}/outcome`, { outcome: 'committed' }),
      ),
    );
    const bad = acks.find((a) => a.status >= 300);
    return bad ? `outcome:${failureOf(bad)}` : undefined;
  }
}
