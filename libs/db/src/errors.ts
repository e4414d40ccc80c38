/** Errors of @trx/db. Check them by `name`: two copies of this library can exist in a workspace. */

/** The service's database does not exist and its role may not create it (roles own one database, no CREATEDB). */
export class DatabaseMissingError extends Error {
  override readonly name = 'DatabaseMissingError';
  readonly retryable = false;
  constructor(readonly database: string) {
    super(
      `PostgreSQL database "${database}" does not exist and this service's role may not create it. ` +
        `Create it owned by the service's role (on this machine: bash scripts/infra.sh; in a cluster: ` +
        `CREATE DATABASE "${database}" OWNER <role>).`,
    );
  }
}

export class PreparedTransactionsDisabledError extends Error {
  override readonly name = 'PreparedTransactionsDisabledError';
  readonly retryable = false;
  constructor(
    readonly database: string,
    readonly maxPreparedTransactions: number,
  ) {
    super(
      `PostgreSQL database "${database}" cannot prepare transactions: max_prepared_transactions is ` +
        `${maxPreparedTransactions}. trx participants vote with PREPARE TRANSACTION, so it must be > 0 ` +
        `(size it for the load: concurrent transactions × branches per server). Set it in postgresql.conf ` +
        `or with ALTER SYSTEM SET max_prepared_transactions = 256, then restart PostgreSQL ` +
        `(on this machine, scripts/infra.sh does both and says so).`,
    );
  }
}
