import { amqpCredentials, brokerUserOf } from '../src';

describe('the broker user of an AMQP URL', () => {
  it('is the user name of the URL', () => {
    expect(brokerUserOf('amqp://trx-account:secret@127.0.0.1:5672/trx')).toBe('trx-account');
  });

  it('is percent-decoded, and so is the password', () => {
    expect(amqpCredentials('amqp://trx%2Dorder:p%40ss%3Aw%2Ford@rabbit/trx')).toEqual({
      username: 'trx-order',
      password: 'p@ss:w/ord',
    });
    expect(brokerUserOf('amqps://caf%C3%A9@rabbit')).toBe('café');
  });

  it('is guest when the URL has no user', () => {
    expect(amqpCredentials('amqp://127.0.0.1:5672')).toEqual({ username: 'guest', password: 'guest' });
    expect(brokerUserOf('amqp://:only-a-password@127.0.0.1')).toBe('guest');
  });

  it('is the whole user name, never the password, when the user name has no password', () => {
    expect(amqpCredentials('amqp://trx-product@127.0.0.1/trx')).toEqual({
      username: 'trx-product',
      password: '',
    });
  });

  it('is refused for something that is not an AMQP URL, without repeating the password', () => {
    for (const url of [
      'trx-account:secret@127.0.0.1',
      'http://trx-account:secret@rabbit',
      'amqp://%E0:secret@x',
    ]) {
      expect(() => brokerUserOf(url)).toThrow(
        expect.objectContaining({
          name: 'InvalidBrokerUrlError',
          message: expect.not.stringContaining('secret'),
        }),
      );
    }
  });
});
