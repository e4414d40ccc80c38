import type { Pool } from 'pg';
import type { CoordinatorApi, TransactionView } from '@trx/protocol';
import { listPrepared, waitFor } from '@trx/test-support';

/** First-run data of product-service and account-service (account id = customer id). */
export const SEED = {
  stock: { 1: 100, 2: 150, 3: 200, 4: 10 } as Record<number, number>,
  balances: { 1: 1000, 2: 2000, 3: 5000 } as Record<number, number>,
};

export type DatabaseName = 'coordinator' | 'order' | 'account' | 'product';

/** Everything a test reads from the four databases, straight from SQL (committed state only). */
export interface Snapshot {
  stock: Record<number, number>;
  balances: Record<number, number>;
  reservations: number;
  withdrawals: number;
  orders: { confirmed: number; rejected: number };
  outbox: number;
}

/** Reads and waits on the platform's databases and coordinator, for assertions. */
export class PlatformProbe {
  constructor(
    readonly pools: Record<DatabaseName, Pool>,
    readonly coordinatorApi: CoordinatorApi,
    readonly serviceUrls: Record<string, string>,
  ) {}

  async query<T = Record<string, unknown>>(
    db: DatabaseName,
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    return (await this.pools[db].query(sql, params)).rows as T[];
  }

  /** Transactions at the coordinator (with `status`: of that status), counted in its database. */
  async countTransactions(status?: string): Promise<number> {
    const rows = await this.query<{ n: number }>(
      'coordinator',
      'SELECT count(*)::int AS n FROM trx_transaction WHERE $1::text IS NULL OR status = $1',
      [status ?? null],
    );
    return rows[0]!.n;
  }

  async snapshot(): Promise<Snapshot> {
    const products = await this.query<{ id: number; stock: number }>(
      'product',
      'SELECT id, stock FROM products',
    );
    const accounts = await this.query<{ id: number; balance: string }>(
      'account',
      'SELECT id, balance FROM accounts',
    );
    const count = async (db: DatabaseName, sql: string) =>
      Number((await this.query<{ n: string }>(db, sql))[0]!.n);
    return {
      stock: Object.fromEntries(products.map((p) => [p.id, p.stock])),
      balances: Object.fromEntries(accounts.map((a) => [a.id, Number(a.balance)])),
      reservations: await count('product', 'SELECT count(*) AS n FROM reservations'),
      withdrawals: await count('account', 'SELECT count(*) AS n FROM withdrawals'),
      orders: {
        confirmed: await count('order', `SELECT count(*) AS n FROM orders WHERE status = 'CONFIRMED'`),
        rejected: await count('order', `SELECT count(*) AS n FROM orders WHERE status = 'REJECTED'`),
      },
      outbox: await count('order', 'SELECT count(*) AS n FROM outbox'),
    };
  }

  /** The gids still prepared in each database. */
  async prepared(): Promise<Record<DatabaseName, string[]>> {
    const names = Object.keys(this.pools) as DatabaseName[];
    const lists = await Promise.all(names.map((db) => listPrepared(this.pools[db])));
    return Object.fromEntries(names.map((db, i) => [db, lists[i]])) as Record<DatabaseName, string[]>;
  }

  async waitForNoPrepared(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => Object.values(await this.prepared()).every((gids) => gids.length === 0) || undefined,
      { timeoutMs, intervalMs: 100, description: 'no prepared transaction in any database' },
    );
  }

  /** Waits until the transaction is finished at the coordinator (every branch acknowledged) and nothing is prepared. */
  async waitForSettled(transactionId: string, timeoutMs = 20_000): Promise<TransactionView> {
    const view = await waitFor(
      async () => {
        const tx = await this.coordinatorApi.get(transactionId);
        const done = tx.status === 'committed' || tx.status === 'rolled-back';
        const branchesDone = tx.branches.every((b) => b.status === 'committed' || b.status === 'rolled-back');
        return done && branchesDone ? tx : undefined;
      },
      { timeoutMs, intervalMs: 50, description: `transaction ${transactionId} finished` },
    );
    await this.waitForNoPrepared(timeoutMs);
    return view;
  }

  /** Waits until no transaction at the coordinator is active or still finishing, then for no prepared transaction. */
  async waitForAllSettled(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        const statuses = ['active', 'committing', 'rolling-back'] as const;
        const lists = await Promise.all(
          statuses.map((status) => this.coordinatorApi.list({ status, limit: 1 })),
        );
        return lists.every((l) => l.items.length === 0) || undefined;
      },
      { timeoutMs, intervalMs: 200, description: 'every transaction finished' },
    );
    await this.waitForNoPrepared(timeoutMs);
  }
}
