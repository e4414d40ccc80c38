import type { BranchStatus, TransactionStatus } from '@trx/protocol';
import type { BranchRecord, TransactionRecord } from '../data-access';

/**
 * The Spring sample's vocabulary (DistributedTransactionStatus) mapped onto trx's statuses.
 * Its clients know no prepare phase: a participant's `CONFIRMED` is its yes-vote (prepared),
 * `TO_ROLLBACK` / `ROLLBACK` its no-vote (failed) or, once decided, its rollback.
 */
export const COMPAT_STATUSES = ['NEW', 'CONFIRMED', 'ROLLBACK', 'TO_ROLLBACK'] as const;
export type CompatStatus = (typeof COMPAT_STATUSES)[number];

export interface CompatParticipant {
  serviceId: string;
  status: CompatStatus;
}

export interface CompatTransaction {
  id: string;
  status: CompatStatus;
  participants: CompatParticipant[];
}

/** Branches registered through the compat API carry this gid prefix; they get no decision messages. */
export const COMPAT_GID_PREFIX = 'compat:';

export function compatGid(serviceId: string, transactionId: string): string {
  return `${COMPAT_GID_PREFIX}${serviceId}:${transactionId}`;
}

export function isCompatBranch(b: BranchRecord): boolean {
  return b.gid.startsWith(COMPAT_GID_PREFIX);
}

export function compatTransactionStatus(status: TransactionStatus): CompatStatus {
  if (status === 'active') return 'NEW';
  if (status === 'committing' || status === 'committed') return 'CONFIRMED';
  return 'ROLLBACK';
}

export function compatBranchStatus(status: BranchStatus): CompatStatus {
  if (status === 'prepared' || status === 'committed') return 'CONFIRMED';
  if (status === 'failed') return 'TO_ROLLBACK';
  if (status === 'rolled-back') return 'ROLLBACK';
  return 'NEW';
}

export function compatTransaction(t: TransactionRecord, branches: BranchRecord[]): CompatTransaction {
  return {
    id: t.id,
    status: compatTransactionStatus(t.status),
    participants: branches.map((b) => ({ serviceId: b.service, status: compatBranchStatus(b.status) })),
  };
}
