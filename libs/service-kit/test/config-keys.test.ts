import { loadConfig } from '@trx/config';
import { commonConfigKeys, participantConfigKeys } from '../src';

const spec = {
  ...commonConfigKeys({ service: 'account-service', port: 8081, database: 'trx_account' }),
  ...participantConfigKeys(),
};

describe('the broker keys', () => {
  it('default to the credentials model: decisions from trx-coordinator, dead letters capped at 10000', () => {
    const config = loadConfig(spec, {});
    expect(config.coordinatorBrokerUser).toBe('trx-coordinator');
    expect(config.deadLetterMaxLength).toBe(10_000);
  });

  it('are read from TRX_COORDINATOR_BROKER_USER and TRX_DEAD_LETTER_MAX_LENGTH', () => {
    const config = loadConfig(spec, {
      TRX_COORDINATOR_BROKER_USER: 'guest',
      TRX_DEAD_LETTER_MAX_LENGTH: '500',
    });
    expect(config).toMatchObject({ coordinatorBrokerUser: 'guest', deadLetterMaxLength: 500 });
  });

  it('refuse a dead-letter cap below one', () => {
    expect(() => loadConfig(spec, { TRX_DEAD_LETTER_MAX_LENGTH: '0' })).toThrow(/TRX_DEAD_LETTER_MAX_LENGTH/);
  });
});
