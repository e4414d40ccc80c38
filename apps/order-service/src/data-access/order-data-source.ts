import { DataSource } from 'typeorm';
import { ensureDatabase, runMigrationsLocked } from '@trx/db';
import { boundedPoolOptions, type SessionBounds } from '@trx/service-kit';
import { orderEntities } from './order-entities';
import { OrderSchema1732400000000 } from './migrations/1732400000000-order-schema';
import { RetentionIndexes1732500000000 } from './migrations/1732500000000-retention-indexes';
import { OutboxClaimLease1732600000000 } from './migrations/1732600000000-outbox-claim-lease';

export interface OrderDataSourceOptions {
  url: string;
  poolSize: number;
  /** Connection wait, lock_timeout and statement_timeout of the pool's sessions. */
  bounds: SessionBounds;
}

/** Creates the order database on first start, connects, and migrates it (one replica at a time). */
export async function openOrderDataSource(options: OrderDataSourceOptions): Promise<DataSource> {
  await ensureDatabase(options.url);
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    entities: orderEntities,
    migrations: [OrderSchema1732400000000, RetentionIndexes1732500000000, OutboxClaimLease1732600000000],
    migrationsTableName: 'order_migrations',
    synchronize: false,
    logging: false,
    extra: { max: options.poolSize, ...boundedPoolOptions(options.bounds) },
  });
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource);
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  return dataSource;
}
