/**
 * Transaction and branch statuses with their allowed transitions.
 *
 * A transaction is `active` until it is decided. The decision moves it to
 * `committing` or `rolling-back` (written before anyone hears of it); once every
 * branch has acknowledged, it ends `committed` or `rolled-back`.
 */
export const TRANSACTION_STATUSES = [
  'active',
  'committing',
  'rolling-back',
  'committed',
  'rolled-back',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export const TRANSACTION_TRANSITIONS: Readonly<Record<TransactionStatus, readonly TransactionStatus[]>> = {
  active: ['committing', 'rolling-back'],
  committing: ['committed'],
  'rolling-back': ['rolled-back'],
  committed: [],
  'rolled-back': [],
};

/**
 * `registered`: joined, not voted. `prepared`: voted yes (its PREPARE TRANSACTION is durable).
 * `failed`: voted no. `committed` / `rolled-back`: the participant acknowledged the outcome.
 */
export const BRANCH_STATUSES = ['registered', 'prepared', 'failed', 'committed', 'rolled-back'] as const;
export type BranchStatus = (typeof BRANCH_STATUSES)[number];

export const BRANCH_TRANSITIONS: Readonly<Record<BranchStatus, readonly BranchStatus[]>> = {
  registered: ['prepared', 'failed', 'rolled-back'],
  prepared: ['committed', 'rolled-back'],
  failed: ['rolled-back'],
  committed: [],
  'rolled-back': [],
};

export type Decision = 'commit' | 'rollback';

export function canTransition<S extends string>(
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): boolean {
  return table[from].includes(to);
}

export function isDecided(status: TransactionStatus): boolean {
  return status !== 'active';
}

export function decisionOf(status: TransactionStatus): Decision | undefined {
  if (status === 'committing' || status === 'committed') return 'commit';
  if (status === 'rolling-back' || status === 'rolled-back') return 'rollback';
  return undefined;
}
