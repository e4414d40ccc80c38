import {
  COORDINATOR_CODES,
  COORDINATOR_ERRORS,
  errorCodeOf,
  isCoordinatorUnavailable,
  isRejectedRequest,
  isTransactionConflict,
  isTransactionNotFound,
} from '../src';

/** An error as another copy of the coordinator client would throw it: only name and code in common. */
const thrown = (name: string, code?: string) => Object.assign(new Error('x'), { name, code });

describe("the coordinator's errors are recognised by name and wire code", () => {
  it('tells a conflict from its code', () => {
    const rolledBack = thrown(
      COORDINATOR_ERRORS.transactionConflict,
      COORDINATOR_CODES.transactionRolledBack,
    );
    expect(isTransactionConflict(rolledBack)).toBe(true);
    expect(isTransactionConflict(rolledBack, COORDINATOR_CODES.transactionRolledBack)).toBe(true);
    expect(isTransactionConflict(rolledBack, COORDINATOR_CODES.transactionDecided)).toBe(false);
    expect(errorCodeOf(rolledBack)).toBe('transaction-rolled-back');
  });

  it('takes a 404 for an unknown transaction only with its own code', () => {
    expect(isTransactionNotFound(thrown('TransactionNotFoundError', 'transaction-not-found'))).toBe(true);
    const proxy404 = thrown('TransactionNotFoundError', 'not-found');
    expect(isTransactionNotFound(proxy404, COORDINATOR_CODES.transactionNotFound)).toBe(false);
  });

  it('keeps outages, rejected requests and anything else apart', () => {
    expect(isCoordinatorUnavailable(thrown('CoordinatorUnavailableError'))).toBe(true);
    expect(isRejectedRequest(thrown('CoordinatorRejectedRequestError'))).toBe(true);
    expect(isCoordinatorUnavailable(thrown('CoordinatorRejectedRequestError'))).toBe(false);
    expect(isTransactionConflict(undefined)).toBe(false);
    expect(errorCodeOf(null)).toBeUndefined();
  });
});
