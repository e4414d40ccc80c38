import { startParticipantService, type RunningParticipantService, type StartOptions } from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { productEntities } from './data-access/product-entities';
import { InitialSchema1732300000000 } from './data-access/migrations/initial-schema-migration';
import { productRoutes } from './entry-points/product-routes';

export type { RunningApp, StartOptions } from '@trx/service-kit';

/**
 * Starts the product-service, the participant that owns products and their stock reservations: its tables
 * (products, reservations) and routes on the plumbing of startParticipantService, which says what
 * runs and how `stop()` undoes it.
 */
export function start(config: AppConfig, options: StartOptions = {}): Promise<RunningParticipantService> {
  return startParticipantService({
    ...options,
    service: SERVICE_NAME,
    config,
    entities: productEntities,
    migrations: [InitialSchema1732300000000],
    routes: ({ dataSource, participant }) => productRoutes(dataSource, participant),
  });
}
