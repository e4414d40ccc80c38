import { DataSource } from 'typeorm';
import { accountEntities } from './account-entities';
import { InitialSchema1732300000000 } from './migrations/initial-schema-migration';

/** The account-service's TypeORM data source (not yet initialized). Schema changes go through migrations only. */
export function createAccountDataSource(url: string, poolSize: number, instanceId: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: accountEntities,
    migrations: [InitialSchema1732300000000],
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    poolSize,
    applicationName: instanceId.slice(0, 63),
    logging: false,
  });
}
