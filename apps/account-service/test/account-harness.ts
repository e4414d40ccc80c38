import { ServiceHarness, startTestCoordinator, type HarnessedApp } from '@trx/test-support';
import * as transactionServer from '@trx/transaction-server';
import { loadAppConfig, SERVICE_NAME, type AppConfig } from '../src/config';
import { start } from '../src/start';

export { call } from '@trx/test-support';

type App = Awaited<ReturnType<typeof start>>;

const accountService: HarnessedApp<AppConfig, App> = { service: SERVICE_NAME, loadAppConfig, start };

/**
 * The account-service against databases and an exchange of this test file only, with the
 * real transaction-server in-process as its coordinator.
 */
export class AccountHarness extends ServiceHarness<AppConfig, App> {
  static async start(): Promise<AccountHarness> {
    return new AccountHarness(accountService, await startTestCoordinator('trx_account', transactionServer));
  }

  async balanceOf(accountId: number): Promise<number> {
    const rows = await this.sql<{ balance: string }>('SELECT balance FROM accounts WHERE id = $1', [
      accountId,
    ]);
    return Number(rows[0]!.balance);
  }

  withdrawalsOf(transactionId: string): Promise<Record<string, unknown>[]> {
    return this.sql('SELECT account_id, amount FROM withdrawals WHERE transaction_id = $1', [transactionId]);
  }

  /** More accounts (customer = account id), so open branches in a test don't wait on each other's row locks. */
  async addAccounts(ids: number[], balance = 1000): Promise<void> {
    await this.sql('INSERT INTO customers (id, name) SELECT id, $2 FROM unnest($1::int[]) AS id', [
      ids,
      'test',
    ]);
    await this.sql(
      'INSERT INTO accounts (id, customer_id, balance) SELECT id, id, $2 FROM unnest($1::int[]) AS id',
      [ids, balance],
    );
  }

  /** A customer with one account per balance, numbered from `firstAccountId` up; the account ids. */
  async addCustomer(customerId: number, balances: number[], firstAccountId: number): Promise<number[]> {
    const ids = balances.map((_, i) => firstAccountId + i);
    await this.sql('INSERT INTO customers (id, name) VALUES ($1, $2)', [customerId, 'test']);
    await this.sql(
      `INSERT INTO accounts (id, customer_id, balance)
       SELECT id, $2, balance FROM unnest($1::int[], $3::numeric[]) AS a (id, balance)`,
      [ids, customerId, balances],
    );
    return ids;
  }

  /** Sessions of the service's database (other than this query's) matching a pg_stat_activity condition. */
  async sessionsWhere(condition: string): Promise<number> {
    const rows = await this.sql<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${condition}`,
    );
    return Number(rows[0]!.n);
  }

  /** The balances of these accounts, in the same order. */
  async balancesOf(accountIds: number[]): Promise<number[]> {
    return Promise.all(accountIds.map((id) => this.balanceOf(id)));
  }
}
