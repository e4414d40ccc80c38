import { assertCanPrepare, PreparedTransactionsDisabledError } from '@trx/db';
import { gidLiteral, newGid, assertTransactionId } from '../src/branch-sql';
import {
  participantErrorAnswer,
  BranchRefusedError,
  CoordinatorUnreachableError,
  isCoordinatorUnreachable,
  TooManyPreparedError,
} from '../src';

/** A server we cannot reconfigure in a test: a Queryable that answers as one with the setting at 0. */
function serverWith(maxPrepared: string) {
  return { query: async () => ({ rows: [{ max_prepared_transactions: maxPrepared }] }) };
}

describe('when the database cannot prepare transactions', () => {
  it('then start-up fails with PreparedTransactionsDisabledError saying what to change', async () => {
    const err = await assertCanPrepare(serverWith('0'), 'trx_account').catch((e: unknown) => e);
    expect((err as Error).name).toBe('PreparedTransactionsDisabledError');
    expect(err).toBeInstanceOf(PreparedTransactionsDisabledError);
    expect((err as Error).message).toContain('"trx_account" cannot prepare transactions');
    expect((err as Error).message).toContain('max_prepared_transactions is 0');
    expect((err as PreparedTransactionsDisabledError).retryable).toBe(false);
  });

  it('then a server with the setting above zero passes and says its limit', async () => {
    await expect(assertCanPrepare(serverWith('256'), 'trx_account')).resolves.toBe(256);
  });
});

describe('gids', () => {
  const txId = '16bd7aef-baea-4fba-91f7-94e3a9931e2a';

  it('are built only from a validated transaction id', () => {
    expect(newGid('account-service', txId)).toMatch(/^trx:account-service:16bd7aef-[0-9a-f-]+:[0-9a-f]{12}$/);
    expect(() => assertTransactionId("x'; DROP TABLE accounts; --")).toThrow(/must be a uuid/);
  });

  it('are quoted, and anything outside their alphabet is refused', () => {
    expect(gidLiteral('trx:account-service:abc:01')).toBe("'trx:account-service:abc:01'");
    expect(() => gidLiteral("trx:a:b:c'; COMMIT; --")).toThrow(/unsafe gid/);
  });
});

describe('participantErrorAnswer', () => {
  it('maps refusals, outages and prepare limits to stable HTTP answers', () => {
    expect(participantErrorAnswer(new BranchRefusedError('t', 'g'))).toMatchObject({
      httpStatus: 409,
      body: { error: 'transaction-decided' },
    });
    expect(participantErrorAnswer(new TooManyPreparedError('t', 'g'))).toMatchObject({
      httpStatus: 503,
      body: { error: 'too-many-prepared', retryable: true },
    });
    const outage = Object.assign(new Error('down'), { name: 'CoordinatorUnavailableError' });
    expect(participantErrorAnswer(outage)).toMatchObject({
      httpStatus: 503,
      body: { error: 'coordinator-unavailable', retryable: true },
    });
    const unconfirmed = new CoordinatorUnreachableError('t', new Error('socket hang up'));
    expect(unconfirmed.name).toBe('CoordinatorUnreachableError');
    expect(participantErrorAnswer(unconfirmed)).toMatchObject({
      httpStatus: 503,
      body: { error: 'coordinator-unavailable', message: 'the coordinator could not be reached; retry' },
    });
    expect(participantErrorAnswer(new Error('business'))).toBeUndefined();
  });
});

describe('isCoordinatorUnreachable', () => {
  it("recognises the client's outage passed through and the participant's own, by name", () => {
    expect(
      isCoordinatorUnreachable(Object.assign(new Error('down'), { name: 'CoordinatorUnavailableError' })),
    ).toBe(true);
    expect(isCoordinatorUnreachable(new CoordinatorUnreachableError('t', 'down'))).toBe(true);
    expect(isCoordinatorUnreachable(new BranchRefusedError('t', 'g'))).toBe(false);
    expect(isCoordinatorUnreachable(undefined)).toBe(false);
  });
});
