import { startParticipantService, type RunningParticipantService, type StartOptions } from '@trx/service-kit';
import { SERVICE_NAME, type AppConfig } from './config';
import { accountEntities } from './data-access/account-entities';
import { InitialSchema1732300000000 } from './data-access/migrations/initial-schema-migration';
import { accountRoutes } from './entry-points/account-routes';

export type { RunningApp, StartOptions } from '@trx/service-kit';

/**
 * Starts the account-service, the participant that owns accounts and their withdrawals: its tables
 * (customers, accounts, withdrawals) and routes on the plumbing of startParticipantService, which says what
 * runs and how `stop()` undoes it.
 */
export function start(config: AppConfig, options: StartOptions = {}): Promise<RunningParticipantService> {
  return startParticipantService({
    ...options,
    service: SERVICE_NAME,
    config,
    entities: accountEntities,
    migrations: [InitialSchema1732300000000],
    routes: ({ dataSource, participant }) => accountRoutes(dataSource, participant),
  });
}
