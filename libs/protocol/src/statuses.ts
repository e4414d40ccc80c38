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

/**
 * The statuses a transaction row may be created with, per way of creating it: a begin (or an
 * implicit transaction's first registration) writes it active; the usual commit of a
 * transaction not seen before writes it already committing; a resolve of an unknown one past
 * its deadline writes its tombstone, rolled back (presumed abort).
 */
export const TRANSACTION_ENTRIES = {
  begin: ['active'],
  'implicit-commit': ['committing'],
  tombstone: ['rolled-back'],
} as const satisfies Readonly<Record<string, readonly TransactionStatus[]>>;
export type TransactionEntry = keyof typeof TRANSACTION_ENTRIES;

/**
 * The statuses a branch row may be created with, per way of creating it: a registration
 * carries its vote or none (registered); a branch the initiator enlists with its commit has
 * prepared already (its service voted yes before the initiator committed).
 */
export const BRANCH_ENTRIES = {
  registration: ['registered', 'prepared', 'failed'],
  enlisted: ['prepared'],
} as const satisfies Readonly<Record<string, readonly BranchStatus[]>>;
export type BranchEntry = keyof typeof BRANCH_ENTRIES;

export type Decision = 'commit' | 'rollback';

export function canTransition<S extends string>(
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): boolean {
  return table[from].includes(to);
}

/** The statuses `table` allows to move to `to` (what a conditional UPDATE may match). */
export function sourcesOf<S extends string>(table: Readonly<Record<S, readonly S[]>>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to));
}

/** Whether a row may be created with `status` on the way `entry`. */
export function canEnter<E extends string, S extends string>(
  entries: Readonly<Record<E, readonly S[]>>,
  entry: E,
  status: S,
): boolean {
  return entries[entry].includes(status);
}

export function isDecided(status: TransactionStatus): boolean {
  return status !== 'active';
}

export function decisionOf(status: TransactionStatus): Decision | undefined {
  if (status === 'committing' || status === 'committed') return 'commit';
  if (status === 'rolling-back' || status === 'rolled-back') return 'rollback';
  return undefined;
}
