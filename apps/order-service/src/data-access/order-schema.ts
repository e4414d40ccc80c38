import type { ServiceDatabase } from '@trx/service-kit';
import { orderEntities } from './order-entities';
import { OrderSchema1732400000000 } from './migrations/1732400000000-order-schema';
import { RetentionIndexes1732500000000 } from './migrations/1732500000000-retention-indexes';
import { OutboxClaimLease1732600000000 } from './migrations/1732600000000-outbox-claim-lease';

/** The order database: its tables and the migrations that make them (in order). */
export const orderDatabase: ServiceDatabase = {
  entities: orderEntities,
  migrations: [OrderSchema1732400000000, RetentionIndexes1732500000000, OutboxClaimLease1732600000000],
  migrationsTableName: 'order_migrations',
};
