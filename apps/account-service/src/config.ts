import { configLoader, type ConfigOf } from '@trx/config';
import { assertParticipantRetention, commonConfigKeys, participantConfigKeys } from '@trx/service-kit';

export const SERVICE_NAME = 'account-service';

/** Every setting of the account-service: env var, default, meaning (docs/architecture.md). */
export const configSpec = {
  ...commonConfigKeys({ service: SERVICE_NAME, port: 8081, database: 'trx_account' }),
  ...participantConfigKeys(),
};

export type AppConfig = ConfigOf<typeof configSpec>;

export const loadAppConfig = configLoader(configSpec, assertParticipantRetention);
