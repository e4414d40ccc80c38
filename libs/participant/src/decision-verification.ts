import { parseGid, type DecisionEvent } from '@trx/protocol';
import type { DecisionMessage } from './ports';

/** Why a decision message was refused: the `reason` label of `trx_decisions_rejected_total`. */
export type RejectReason =
  /** No `user_id`: not published by a trx coordinator (or by one from before user_id). */
  | 'no-user-id'
  /** Published by another broker user than the coordinator's: forged with someone's credentials. */
  | 'wrong-user'
  /** Not a decision body. */
  | 'malformed'
  /** A decision for another service. */
  | 'wrong-service'
  /** A branch gid that names another transaction or another service. */
  | 'foreign-gid';

export type Verdict =
  { event: DecisionEvent; reason?: undefined } | { event?: undefined; reason: RejectReason };

export interface Verifier {
  /** The consuming service: every gid must name it. */
  service: string;
  /** The broker user decisions must come from (RabbitMQ validated `user_id`). */
  coordinatorUser: string;
}

/**
 * Whether a decision message may be acted on. The broker user comes first: RabbitMQ refuses
 * a publish whose `user_id` is not its connection's user, and only the coordinator's user
 * may publish `decision.*` — so a message passing this check was published by the
 * coordinator, and the gid checks keep even its mistakes from touching another transaction's
 * or another service's branches.
 */
export function verifyDecision(message: DecisionMessage, v: Verifier): Verdict {
  if (!message.userId) return { reason: 'no-user-id' };
  if (message.userId !== v.coordinatorUser) return { reason: 'wrong-user' };
  const event = parseDecision(message.body);
  if (!event) return { reason: 'malformed' };
  if (event.service !== v.service) return { reason: 'wrong-service' };
  const own = event.branches.every((b) => {
    const gid = parseGid(b.gid);
    return gid?.service === v.service && gid.transactionId === event.transactionId;
  });
  return own ? { event } : { reason: 'foreign-gid' };
}

function parseDecision(body: unknown): DecisionEvent | undefined {
  const e = parseJson(body) as Partial<DecisionEvent> | null;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.transactionId !== 'string' || typeof e.service !== 'string') return undefined;
  if (e.decision !== 'commit' && e.decision !== 'rollback') return undefined;
  if (!Array.isArray(e.branches)) return undefined;
  const wellFormed = e.branches.every(
    (b: unknown) =>
      typeof (b as { gid?: unknown })?.gid === 'string' &&
      typeof (b as { branchId?: unknown })?.branchId === 'string',
  );
  return wellFormed ? (e as DecisionEvent) : undefined;
}

/** A broker that hands over the raw body (not @trx/messaging, which parses it) gives a Buffer or string. */
function parseJson(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
