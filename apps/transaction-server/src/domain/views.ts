import type { BranchView, TransactionView } from '@trx/protocol';
import type { BranchRecord, TransactionRecord } from '../data-access';

export function branchView(b: BranchRecord): BranchView {
  return {
    id: b.id,
    transactionId: b.transactionId,
    service: b.service,
    instance: b.instance,
    gid: b.gid,
    status: b.status,
    reason: b.reason,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    // Only when set, so the view of a registered branch is what it always was.
    ...(b.finishedByCaller ? { finishedByCaller: true } : {}),
  };
}

export function transactionView(t: TransactionRecord, branches: BranchRecord[]): TransactionView {
  return {
    id: t.id,
    status: t.status,
    decision: t.decision,
    reason: t.reason,
    timeoutMs: t.timeoutMs,
    deadline: t.deadline.toISOString(),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    branches: branches.map(branchView),
    // Only when set: an operator's flag, see TransactionView.inDoubtSince.
    ...(t.inDoubtSince ? { inDoubtSince: t.inDoubtSince.toISOString() } : {}),
  };
}
