/** Errors of @trx/db. Check them by `name`: two copies of this library can exist in a workspace. */

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
