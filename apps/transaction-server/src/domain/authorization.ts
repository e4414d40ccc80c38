import { parseGid } from '@trx/protocol';
import type { TransactionRecord } from '../data-access';
import { NotAllowedError } from './errors';

/**
 * Who acts on a transaction: an authenticated service (its discovery name, from its token),
 * or the Spring-compatible API, whose clients carry no credential.
 */
export type Actor = string;

/** The compat API's actor: it may only ever touch transactions the compat API began. */
export const COMPAT_ACTOR: Actor = 'compat';

/**
 * Only the initiator decides: a `/v1` transaction is committed or rolled back by the service
 * that began it, a compat transaction only through the compat API — so whatever reaches the
 * credential-less compat listener can never decide a `/v1` transaction, and no service can
 * decide another's. (`trx_commit_v3`, the one-statement commit, applies the same rule.)
 */
export function assertInitiator(t: TransactionRecord, actor: Actor): void {
  // A tombstone (resolve's presumed abort) has no initiator: whoever commits it late only hears it rolled back.
  if (t.initiator === null && t.status !== 'active' && !t.compat) return;
  const allowed = actor === COMPAT_ACTOR ? t.compat : !t.compat && t.initiator === actor;
  if (!allowed) {
    throw new NotAllowedError(actor, `${actor} did not begin transaction ${t.id} and may not decide it`);
  }
}

/**
 * A branch is voted on and acknowledged only by the service its gid names. Compat branches
 * belong to compat transactions, which the compat API alone reaches.
 */
export function assertBranchOwner(gid: string, compat: boolean, actor: Actor): void {
  const allowed = actor === COMPAT_ACTOR ? compat : !compat && parseGid(gid)?.service === actor;
  if (!allowed) throw new NotAllowedError(actor, `${actor} may not act on branch ${gid}`);
}

/**
 * The events an initiator hands over with its commit are published by the coordinator's
 * broker user, so each must be the initiator's own: its routing key's first word is the
 * initiator's (`order-service` may announce `order.…`), never a decision, lifecycle or
 * compat key, nor another service's.
 */
export function assertOwnEvents(actor: Actor, routingKeys: string[]): void {
  const own = `${actor.split('-')[0]}.`;
  const foreign = routingKeys.find((key) => !key.startsWith(own) || RESERVED.some((r) => key.startsWith(r)));
  if (foreign !== undefined) {
    throw new NotAllowedError(actor, `${actor} may not announce ${foreign}: its events start with ${own}`);
  }
}

const RESERVED = ['decision.', 'transaction.', 'compat.'];
