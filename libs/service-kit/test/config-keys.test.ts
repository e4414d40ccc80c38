import { loadConfig } from '@trx/config';
import { commonConfigKeys, participantConfigKeys } from '../src';

const spec = {
  ...commonConfigKeys({ service: 'account-service', port: 8081, database: 'trx_account' }),
  ...participantConfigKeys(),
};

/** The credentials, which have no default; these tests are about the other keys. */
const credentials = {
  DATABASE_URL: 'postgres://trx_account:pw@127.0.0.1:5432/trx_account',
  AMQP_URL: 'amqp://trx-account:pw@127.0.0.1:5672/trx',
  TRX_SERVICE_TOKEN: 't'.repeat(43),
  TRX_TRUSTED_CALLERS: `order-service:${'0'.repeat(64)}`,
};

describe('the credentials', () => {
  it('have no default: an app without them refuses to start, naming each', () => {
    expect(() => loadConfig(spec, {})).toThrow(
      /DATABASE_URL.*AMQP_URL.*TRX_SERVICE_TOKEN.*TRX_TRUSTED_CALLERS/,
    );
  });
});

describe('the broker keys', () => {
  it('default to the credentials model: decisions from trx-coordinator, dead letters capped at 10000', () => {
    const config = loadConfig(spec, credentials);
    expect(config.coordinatorBrokerUser).toBe('trx-coordinator');
    expect(config.deadLetterMaxLength).toBe(10_000);
  });

  it('are read from TRX_COORDINATOR_BROKER_USER and TRX_DEAD_LETTER_MAX_LENGTH', () => {
    const config = loadConfig(spec, {
      ...credentials,
      TRX_COORDINATOR_BROKER_USER: 'guest',
      TRX_DEAD_LETTER_MAX_LENGTH: '500',
    });
    expect(config).toMatchObject({ coordinatorBrokerUser: 'guest', deadLetterMaxLength: 500 });
  });

  it('refuse a dead-letter cap below one', () => {
    expect(() => loadConfig(spec, { ...credentials, TRX_DEAD_LETTER_MAX_LENGTH: '0' })).toThrow(
      /TRX_DEAD_LETTER_MAX_LENGTH/,
    );
  });
});
