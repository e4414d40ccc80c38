import { MAX_DECISIONS_PER_MESSAGE, parseGid, type DecisionEntry, type DecisionEvent } from '@trx/protocol';
import type { DecisionMessage } from './ports';

/** Why a decision message was refused: the `reason` label of `trx_decisions_rejected_total`. */
export type RejectReason =
  /** No `user_id`: not published by a trx coordinator (or by one from before user_id). */
  | 'no-user-id'
  /** Published by another broker user than the coordinator's: forged with someone's credentials. */
  | 'wrong-user'
  /** Not a decision body (or, in a batch, not a decision entry). */
  | 'malformed'
  /** A decision for another service. */
  | 'wrong-service'
  /** A branch gid that names another transaction or another service. */
  | 'foreign-gid';

/** Why one entry of a batch was set aside while the others were acted on. */
export type EntryRejectReason = Extract<RejectReason, 'malformed' | 'foreign-gid'>;

/** An entry of a batch that fails verification: dead-lettered alone, as it came. */
export interface PoisonEntry {
  reason: EntryRejectReason;
  entry: unknown;
}

/**
 * A message that may be acted on: the decisions to apply, and the entries of a batch that
 * must not be (always none for an old single decision, which is refused whole instead).
 */
export interface Accepted {
  reason?: undefined;
  decisions: DecisionEntry[];
  poison: PoisonEntry[];
}

export type Verdict = Accepted | { reason: RejectReason };

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
 *
 * A batch (protocol v2) is judged per entry: one bad entry of hundreds must not keep the
 * others prepared, so it is returned as poison instead of refusing the message. An old
 * single decision (`type: 'decision'`, still understood for one release) is one
 * transaction's, so it is refused whole as before.
 */
export function verifyDecision(message: DecisionMessage, v: Verifier): Verdict {
  if (!message.userId) return { reason: 'no-user-id' };
  if (message.userId !== v.coordinatorUser) return { reason: 'wrong-user' };
  const body = parseJson(message.body);
  return isRecord(body) && body.type === 'decisions' ? verifyBatch(body, v) : verifySingle(body, v);
}

function verifyBatch(body: Record<string, unknown>, v: Verifier): Verdict {
  const batch = parseBatch(body);
  if (!batch) return { reason: 'malformed' };
  if (batch.service !== v.service) return { reason: 'wrong-service' };
  const accepted: Accepted = { decisions: [], poison: [] };
  for (const entry of batch.decisions) {
    if (!isEntry(entry)) accepted.poison.push({ reason: 'malformed', entry });
    else if (!ownsBranches(entry, v.service)) accepted.poison.push({ reason: 'foreign-gid', entry });
    else accepted.decisions.push(entry);
  }
  return accepted;
}

function verifySingle(body: unknown, v: Verifier): Verdict {
  const event = parseSingle(body);
  if (!event) return { reason: 'malformed' };
  if (event.service !== v.service) return { reason: 'wrong-service' };
  if (!ownsBranches(event, v.service)) return { reason: 'foreign-gid' };
  const { transactionId, decision, branches } = event;
  return { decisions: [{ transactionId, decision, branches }], poison: [] };
}

/** Every gid names this service and the entry's transaction. */
function ownsBranches(entry: DecisionEntry, service: string): boolean {
  return entry.branches.every((b) => {
    const gid = parseGid(b.gid);
    return gid?.service === service && gid.transactionId === entry.transactionId;
  });
}

/** The envelope of a DecisionBatchEvent; its entries are checked one by one (verifyBatch). */
function parseBatch(body: Record<string, unknown>): { service: string; decisions: unknown[] } | undefined {
  const { service, decisions } = body;
  if (typeof service !== 'string' || !Array.isArray(decisions)) return undefined;
  // More than the coordinator ever puts in one message is not a batch it published.
  if (decisions.length > MAX_DECISIONS_PER_MESSAGE) return undefined;
  return { service, decisions };
}

function parseSingle(body: unknown): DecisionEvent | undefined {
  if (!isRecord(body) || typeof body.service !== 'string') return undefined;
  return isEntry(body) ? (body as unknown as DecisionEvent) : undefined;
}

function isEntry(value: unknown): value is DecisionEntry {
  if (!isRecord(value) || typeof value.transactionId !== 'string') return false;
  if (value.decision !== 'commit' && value.decision !== 'rollback') return false;
  return Array.isArray(value.branches) && value.branches.every(isBranchRef);
}

function isBranchRef(value: unknown): boolean {
  return isRecord(value) && typeof value.gid === 'string' && typeof value.branchId === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
