import { randomBytes } from 'node:crypto';
// The source, not the package: the bench starts (and builds the platform) before any dist/ exists.
import { makeGid, uuidv7, type OutcomeBatchRequest } from '@trx/protocol';
import { failureOf, HttpJson, networkFailure } from './http-json';
import type { Operation } from './load-driver';
import { IDENTITIES, readSecrets } from '../local/credentials';

/**
 * The coordinator alone (diagnostic mode `coordinator`): the calls one order makes of the
 * transaction-server, with no participant behind them — (protocol v2: no begin, the id is
 * minted here) the commit with the three prepared branches enlisted (their yes-votes), and one
 * batch of the three outcome acknowledgements sent after COMMIT PREPARED. It calls as the order-service (its token from
 * the local secrets), and the branches are the order-service's own, finished by their caller,
 * so no decision message goes to a participant: nothing else is touched. It measures what the
 * coordinator can decide per second and what it costs per order (one decision message fewer
 * per order than the trx flow, whose product and account branches get one each).
 */
export const BENCH_SERVICE = 'order-service';
const BRANCHES = 3;

export class CoordinatorOnly {
  private readonly http: HttpJson;
  private readonly instance = `trx-bench-${process.pid}`;
  private readonly authorization = `Bearer ${readSecrets().values[`TRX_TOKEN_${IDENTITIES['order-service'].key}`]}`;

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
  }

  private async oneTransaction(): Promise<string | undefined> {
    const auth = { authorization: this.authorization };
    const txId = uuidv7();
    const branches = Array.from({ length: BRANCHES }, () => ({
      service: BENCH_SERVICE,
      instance: this.instance,
      gid: makeGid(BENCH_SERVICE, txId, `bench-${randomBytes(6).toString('hex')}`),
      finishedByCaller: true,
    }));
    const commit = await this.http.request('POST', `/v1/transactions/${txId}/commit`, { branches }, auth);
    if (commit.status !== 200) return `commit:${failureOf(commit)}`;
    const acks: OutcomeBatchRequest = {
      outcomes: branches.map((b) => ({ transactionId: txId, gid: b.gid, outcome: 'committed' })),
    };
    const recorded = await this.http.request('POST', '/v1/outcomes', acks, auth);
    if (recorded.status !== 200) return `outcome:${failureOf(recorded)}`;
    const { rejected } = recorded.body as { rejected: { error: string }[] };
    return rejected.length > 0 ? `outcome:${rejected[0]!.error}` : undefined;
  }
}
