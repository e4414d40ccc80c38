import {
  BRANCH_ENTRIES,
  BRANCH_STATUSES,
  BRANCH_TRANSITIONS,
  TRANSACTION_ENTRIES,
  TRANSACTION_TRANSITIONS,
  canEnter,
  canTransition,
  sourcesOf,
} from '@trx/protocol';
import { ENLISTED_STATUS, ONE_STATEMENT_COMMIT } from '../src/domain/state-machine';
import { compatBranchStatus, compatTransactionStatus } from '../src/compat/compat-mapping';

describe('the transition tables', () => {
  test('a transaction is decided once and ends once', () => {
    expect(canTransition(TRANSACTION_TRANSITIONS, 'active', 'committing')).toBe(true);
    expect(canTransition(TRANSACTION_TRANSITIONS, 'active', 'rolling-back')).toBe(true);
    expect(canTransition(TRANSACTION_TRANSITIONS, 'committing', 'committed')).toBe(true);
    expect(canTransition(TRANSACTION_TRANSITIONS, 'rolling-back', 'rolled-back')).toBe(true);
    expect(canTransition(TRANSACTION_TRANSITIONS, 'committing', 'rolling-back')).toBe(false);
    expect(canTransition(TRANSACTION_TRANSITIONS, 'rolling-back', 'committing')).toBe(false);
    expect(canTransition(TRANSACTION_TRANSITIONS, 'active', 'committed')).toBe(false);
    expect(TRANSACTION_TRANSITIONS.committed).toEqual([]);
    expect(TRANSACTION_TRANSITIONS['rolled-back']).toEqual([]);
  });

  test('a branch votes once, and only a yes-vote can commit', () => {
    expect(canTransition(BRANCH_TRANSITIONS, 'registered', 'prepared')).toBe(true);
    expect(canTransition(BRANCH_TRANSITIONS, 'registered', 'failed')).toBe(true);
    expect(canTransition(BRANCH_TRANSITIONS, 'prepared', 'committed')).toBe(true);
    expect(canTransition(BRANCH_TRANSITIONS, 'failed', 'rolled-back')).toBe(true);
    expect(canTransition(BRANCH_TRANSITIONS, 'registered', 'committed')).toBe(false);
    expect(canTransition(BRANCH_TRANSITIONS, 'failed', 'committed')).toBe(false);
    expect(canTransition(BRANCH_TRANSITIONS, 'prepared', 'failed')).toBe(false);
  });

  test('the SQL that applies a rule itself gets its statuses from the tables', () => {
    expect(sourcesOf(TRANSACTION_TRANSITIONS, 'committing')).toEqual(['active']);
    expect(sourcesOf(TRANSACTION_TRANSITIONS, 'committed')).toEqual(['committing']);
    expect(sourcesOf(BRANCH_TRANSITIONS, 'rolled-back')).toEqual(['registered', 'prepared', 'failed']);
    expect(sourcesOf(BRANCH_TRANSITIONS, 'registered')).toEqual([]);
    expect(ONE_STATEMENT_COMMIT).toEqual({ from: ['active'], next: 'committing', branch: 'prepared' });
    expect(ENLISTED_STATUS).toBe('prepared');
  });

  test('a row starts only in a status its way of creating it allows', () => {
    expect(BRANCH_STATUSES.filter((s) => canEnter(BRANCH_ENTRIES, 'registration', s))).toEqual([
      'registered',
      'prepared',
      'failed',
    ]);
    expect(canEnter(BRANCH_ENTRIES, 'enlisted', 'registered')).toBe(false);
    expect(canEnter(BRANCH_ENTRIES, 'registration', 'committed')).toBe(false);
    expect(canEnter(TRANSACTION_ENTRIES, 'begin', 'active')).toBe(true);
    expect(canEnter(TRANSACTION_ENTRIES, 'begin', 'committing')).toBe(false);
    expect(canEnter(TRANSACTION_ENTRIES, 'implicit-commit', 'committed')).toBe(false);
    expect(canEnter(TRANSACTION_ENTRIES, 'tombstone', 'rolled-back')).toBe(true);
  });

  test('the Spring sample sees NEW, CONFIRMED or ROLLBACK', () => {
    expect(compatTransactionStatus('active')).toBe('NEW');
    expect(compatTransactionStatus('committing')).toBe('CONFIRMED');
    expect(compatTransactionStatus('rolled-back')).toBe('ROLLBACK');
    expect(compatBranchStatus('failed')).toBe('TO_ROLLBACK');
    expect(compatBranchStatus('prepared')).toBe('CONFIRMED');
  });
});
