import { inBatches } from '@trx/db';
import type { Logger } from '@trx/logging';
import type { RetentionRepository } from '../data-access/retention-repository';

export interface OrderRetentionResult {
  outbox: number;
  idempotencyKeys: number;
}

export interface OrderRetentionOptions {
  repository: RetentionRepository;
  logger: Logger;
  clock: () => Date;
  retentionMs: number;
  batch: number;
}

/**
 * One round of the order-service's retention: published outbox rows and Idempotency-Keys
 * older than TRX_RETENTION_MS, in small batches (the participant runtime retains its
 * trx_branch rows itself). Orders are business records and stay.
 */
export async function retainOrdersOnce(o: OrderRetentionOptions): Promise<OrderRetentionResult> {
  const before = new Date(o.clock().getTime() - o.retentionMs);
  const outbox = await inBatches(o.batch, (n) => o.repository.deletePublishedOutbox(before, n));
  const idempotencyKeys = await inBatches(o.batch, (n) => o.repository.deleteExpiredKeys(before, n));
  if (outbox + idempotencyKeys > 0) o.logger.info({ outbox, idempotencyKeys }, 'retention deleted old rows');
  return { outbox, idempotencyKeys };
}
