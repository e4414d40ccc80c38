import { TooBusyError } from '../src/domain/keyed-limiter';
import { answerFor } from '@trx/service-kit';
import { errorAnswer, orderErrorMappers, rejectedOrderAnswer } from '../src/entry-points/error-mapper';
import { DatabaseUnavailableError, failureCode } from '../src/domain/order-errors';
import { newOrder } from '../src/domain/place-order';

/** What a client sees while the order-service's own database restarts: a retryable 503, not a 500. */
test('a lost database connection answers 503 database-unavailable, retryable', () => {
  for (const err of [
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
  ]) {
    expect(errorAnswer(err)).toEqual({
      status: 503,
      body: {
        error: 'database-unavailable',
        message: 'the order database is unavailable; retry',
        retryable: true,
      },
    });
  }
});

test('an order rejected because its own branch could not reach the database answers 503', () => {
  const error = new DatabaseUnavailableError('Connection terminated unexpectedly');
  expect(failureCode(error)).toBe('database-unavailable');
  const order = {
    ...newOrder({ customerId: 1, productId: 1, quantity: 1 }, 'tx-1', new Date()),
    reason: failureCode(error),
  };
  expect(rejectedOrderAnswer(order, error)).toMatchObject({
    status: 503,
    body: { error: 'database-unavailable', retryable: true },
  });
});

test('any other unexpected error stays a bare 500 internal-error', () => {
  expect(errorAnswer(new TypeError('x is undefined'))).toMatchObject({
    status: 500,
    body: { error: 'internal-error', message: 'an unexpected error occurred' },
  });
});

test('an order the per-key limiter refused answers 503 too-busy, retryable, with the key', () => {
  expect(errorAnswer(new TooBusyError('product:1', 'queue-full', 5000))).toMatchObject({
    status: 503,
    body: { error: 'too-busy', retryable: true, details: { key: 'product:1', reason: 'queue-full' } },
  });
});

/** The app's mapping, plugged into service-kit's handler, answers for every error: the kit's defaults never do. */
test("through service-kit's handler, the order-service's answers are its own", () => {
  const boom = new TypeError('x is undefined');
  expect(answerFor(boom, orderErrorMappers)).toEqual({
    status: 500,
    body: { error: 'internal-error', message: 'an unexpected error occurred' },
  });
  const notJson = Object.assign(new SyntaxError('Unexpected token'), {
    status: 400,
    expose: true,
    type: 'entity.parse.failed',
  });
  expect(answerFor(notJson, orderErrorMappers)).toEqual({
    status: 400,
    body: { error: 'invalid-request', message: 'the body is not valid JSON' },
  });
});
