/**
 * @trx/db — small Postgres helpers shared by the apps: create a database on first start,
 * refuse clearly to run on a server that cannot prepare transactions, classify errors.
 *
 * @example
 *   await ensureDatabase('postgres://postgres@127.0.0.1:5432/trx_account');
 *   await assertCanPrepare(pool, 'trx_account'); // throws PreparedTransactionsDisabledError
 */
export * from './database';
export * from './errors';
export * from './pg-errors';
export * from './pool';
export * from './deferred-begin';
export * from './statement-names';
export * from './pipeline';
export * from './batches';
export * from './scrape-sample';
