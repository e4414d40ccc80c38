import { BRANCH_TRANSITIONS, TRANSACTION_TRANSITIONS, canTransition } from '@trx/protocol';
import { compatBranchStatus, compatTransactionStatus } from '../src/domain/compat-mapping';

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

  test('the Spring sample sees NEW, CONFIRMED or ROLLBACK', () => {
    expect(compatTransactionStatus('active')).toBe('NEW');
    expect(compatTransactionStatus('committing')).toBe('CONFIRMED');
    expect(compatTransactionStatus('rolled-back')).toBe('ROLLBACK');
    expect(compatBranchStatus('failed')).toBe('TO_ROLLBACK');
    expect(compatBranchStatus('prepared')).toBe('CONFIRMED');
  });
});
