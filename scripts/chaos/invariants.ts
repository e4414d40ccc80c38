/**
 * The invariants of issue 5, each computed from the databases, the coordinator and what
 * the load was answered, and reported with its figures so a violation can be read
 * without re-running.
 */
import type { TransactionRecord } from './coordinator-state';
import type { EffectRows, Ledger, OrderEvent, OrderRow } from './ledger';
import type { Attempt } from './load';
import { LATE_COMMIT, mustNotConfirm } from './order-mix';

export interface Evidence {
  start: Ledger;
  end: Ledger;
  orders: OrderRow[];
  transactions: TransactionRecord[];
  prepared: { database: string; gid: string; prepared: string }[];
  attempts: Attempt[];
  effects: EffectRows;
  /** Per participant service, the gids whose COMMIT PREPARED went through (its trx_branch rows). */
  committedGids: Map<string, Set<string>>;
  /** Every order.confirmed found (ledger.ts readOrderEvents), and whether it was published. */
  orderEvents: OrderEvent[];
}

export interface InvariantResult {
  name: string;
  ok: boolean;
  figures: string;
  /** A few offending ids, for the diagnosis. */
  examples: string[];
}

type Check = (e: Evidence) => InvariantResult;

export function checkInvariants(evidence: Evidence): InvariantResult[] {
  return CHECKS.map((check) => check(evidence));
}

const confirmed = (e: Evidence) => e.orders.filter((o) => o.status === 'CONFIRMED');
const money = (cents: number) => (cents / 100).toFixed(2);
const result = (name: string, bad: string[], figures: string): InvariantResult => ({
  name,
  ok: bad.length === 0,
  figures,
  examples: bad.slice(0, 5),
});

const moneyConserved: Check = (e) => {
  const totals = confirmed(e).reduce((sum, o) => sum + o.totalCents, 0);
  const diff = e.end.balanceCents + totals - e.start.balanceCents;
  return result(
    'money: balances + confirmed totals = starting sum',
    diff === 0 ? [] : [`off by ${money(diff)}`],
    `start ${money(e.start.balanceCents)}, now balances ${money(e.end.balanceCents)} + confirmed totals ${money(totals)} = ${money(e.end.balanceCents + totals)}`,
  );
};

const stockConserved: Check = (e) => {
  const sold = new Map<number, number>();
  for (const o of confirmed(e)) sold.set(o.productId, (sold.get(o.productId) ?? 0) + o.quantity);
  const bad: string[] = [];
  const parts = [...e.start.stock].map(([id, start]) => {
    const now = e.end.stock.get(id) ?? NaN;
    const units = sold.get(id) ?? 0;
    if (now + units !== start) bad.push(`product ${id}: off by ${now + units - start}`);
    return `#${id} ${now}+${units}=${now + units}/${start}`;
  });
  for (const id of sold.keys())
    if (!e.start.stock.has(id)) bad.push(`confirmed orders of unknown product ${id}`);
  return result('stock: stock + confirmed units = starting stock, per product', bad, parts.join(', '));
};

const orderStatuses: Check = (e) => {
  const bad = e.orders.filter((o) => o.status !== 'CONFIRMED' && o.status !== 'REJECTED');
  const rejected = e.orders.length - confirmed(e).length - bad.length;
  return result(
    'every order CONFIRMED or REJECTED',
    bad.map((o) => `${o.id} ${o.status}`),
    `${e.orders.length} orders: ${confirmed(e).length} CONFIRMED, ${rejected} REJECTED, ${bad.length} other`,
  );
};

const transactionsEnded: Check = (e) => {
  const counts = countBy(e.transactions, (t) => t.status);
  const bad = e.transactions.filter((t) => t.status !== 'committed' && t.status !== 'rolled-back');
  return result(
    'every transaction committed or rolled back',
    bad.map((t) => `${t.id} ${t.status}`),
    `${e.transactions.length} transactions: ${format(counts)}`,
  );
};

const branchesAgree: Check = (e) => {
  const bad: string[] = [];
  let branches = 0;
  for (const t of e.transactions) {
    branches += t.branches.length;
    if (t.status === 'committed' && t.branches.some((b) => b.status !== 'committed'))
      bad.push(`${t.id} committed, branches ${t.branches.map((b) => `${b.service}:${b.status}`).join(' ')}`);
    if (t.status === 'rolled-back' && t.branches.some((b) => b.status === 'committed'))
      bad.push(
        `${t.id} rolled-back, branches ${t.branches.map((b) => `${b.service}:${b.status}`).join(' ')}`,
      );
  }
  return result(
    'branches agree with their transaction',
    bad,
    `${branches} branches: ${format(
      countBy(
        e.transactions.flatMap((t) => t.branches),
        (b) => b.status,
      ),
    )}; ${bad.length} disagree`,
  );
};

/** Atomicity in Postgres itself, not only in the coordinator's bookkeeping. */
const postgresAgrees: Check = (e) => {
  const bad: string[] = [];
  let checked = 0;
  for (const t of e.transactions) {
    for (const b of t.branches) {
      const kept = e.committedGids.get(b.service)?.has(b.gid) ?? false;
      checked++;
      if (t.status === 'committed' && !kept)
        bad.push(`${t.id} committed but ${b.service} branch ${b.gid} not committed in its database`);
      if (t.status !== 'committed' && kept)
        bad.push(`${t.id} ${t.status} but ${b.service} committed ${b.gid}`);
    }
  }
  const known = new Set(e.transactions.flatMap((t) => t.branches.map((b) => b.gid)));
  for (const [service, gids] of e.committedGids)
    for (const gid of gids)
      if (!known.has(gid)) bad.push(`${service} committed ${gid}, unknown to the coordinator`);
  return result(
    "participants' databases agree: a branch is committed in Postgres iff its transaction committed",
    bad,
    `${checked} branches checked against ${[...e.committedGids].map(([s, g]) => `${s} ${g.size}`).join(', ')} committed gids`,
  );
};

const decisionsAcknowledged: Check = (e) => {
  const bad = e.transactions.filter((t) => t.status === 'committing' || t.status === 'rolling-back');
  return result(
    'no decision unacknowledged',
    bad.map((t) => `${t.id} ${t.status}`),
    `${bad.length} transactions committing or rolling-back`,
  );
};

/** How late a decision may come past the transaction's timeout: a sweep period, a Postgres restart, a coordinator restart. */
export const DECISION_GRACE_MS = 15_000;

const decidedInTime: Check = (e) => {
  const late = e.transactions.filter(
    (t) => t.decidedAfterMs === null || t.decidedAfterMs > t.timeoutMs + DECISION_GRACE_MS,
  );
  const slowest = Math.max(0, ...e.transactions.map((t) => t.decidedAfterMs ?? 0));
  return result(
    `every transaction decided within its timeout + ${DECISION_GRACE_MS / 1000} s`,
    late.map(
      (t) =>
        `${t.id} ${t.status} decided after ${t.decidedAfterMs ?? 'never'} ms (timeout ${t.timeoutMs} ms)`,
    ),
    `slowest decision ${slowest} ms after begin; ${late.length} late`,
  );
};

const answeredCreatedIsConfirmed: Check = (e) => {
  const byId = new Map(e.orders.map((o) => [o.id, o]));
  const created = e.attempts.filter((a) => a.status === 201);
  const bad = created
    .map((a) => String(a.body?.id))
    .filter((id) => byId.get(id)?.status !== 'CONFIRMED')
    .map((id) => `${id}: ${byId.get(id)?.status ?? 'no such order'}`);
  return result(
    'every 201 names a CONFIRMED order',
    bad,
    `${created.length} answered 201, ${bad.length} not CONFIRMED`,
  );
};

/**
 * A caller told "no" must not have paid: every failed answer that names its order (409,
 * the injected 500, 503 participant-unavailable) names one that is not CONFIRMED. Only
 * `coordinator-unavailable` (the commit went unanswered) leaves the outcome open.
 */
const answeredRefusalIsNotConfirmed: Check = (e) => {
  const byId = new Map(e.orders.map((o) => [o.id, o]));
  const refused = e.attempts.filter(
    (a) =>
      a.status !== undefined &&
      a.status !== 201 &&
      a.body?.error !== 'coordinator-unavailable' &&
      orderIdOf(a),
  );
  const bad: string[] = [];
  for (const a of refused) {
    const order = byId.get(orderIdOf(a)!);
    if (order?.status === 'CONFIRMED')
      bad.push(`${order.id} answered ${a.status} ${String(a.body?.error)} but CONFIRMED`);
    else if (a.body?.status === 'REJECTED' && order?.status !== 'REJECTED')
      bad.push(`${orderIdOf(a)} answered REJECTED, no such row`);
  }
  return result(
    'every failed answer names an order that is not CONFIRMED',
    bad,
    `${refused.length} failed answers name their order, ${bad.length} wrong`,
  );
};

function orderIdOf(a: Attempt): string | undefined {
  const details = a.body?.details as { orderId?: unknown } | undefined;
  const id = a.body?.id ?? details?.orderId;
  return typeof id === 'string' ? id : undefined;
}

const ordersAgreeWithTransactions: Check = (e) => {
  const status = new Map(e.transactions.map((t) => [t.id, t.status]));
  const bad: string[] = [];
  for (const o of e.orders) {
    const t = o.transactionId ? status.get(o.transactionId) : undefined;
    if (o.status === 'CONFIRMED' && t !== 'committed')
      bad.push(`CONFIRMED ${o.id}, transaction ${o.transactionId} ${t ?? 'unknown'}`);
    if (o.status === 'REJECTED' && t === 'committed')
      bad.push(`REJECTED ${o.id}, transaction ${o.transactionId} committed`);
  }
  return result(
    'no CONFIRMED order whose transaction did not commit (nor REJECTED whose committed)',
    bad,
    `${bad.length} orders disagree with their transaction`,
  );
};

const noPrepared: Check = (e) =>
  result(
    'no prepared transaction left',
    e.prepared.map((p) => `${p.database} ${p.gid} since ${p.prepared}`),
    `${e.prepared.length} in pg_prepared_xacts of the run's databases`,
  );

const refusalsHold: Check = (e) => {
  const mustRefuse = e.attempts.filter((a) => mustNotConfirm(a.request.kind));
  const bad = mustRefuse
    .filter((a) => a.status === 201)
    .map((a) => `${a.request.kind} ${JSON.stringify(a.request.body)} → 201 ${String(a.body?.id)}`);
  const answers = countBy(mustRefuse, (a) => `${a.request.kind}:${a.status ?? a.error}`);
  return result(
    'orders that must fail were never confirmed',
    bad,
    `${mustRefuse.length} sent (${format(answers)})`,
  );
};

const noHang: Check = (e) => {
  const timeouts = e.attempts.filter((a) => a.error === 'timeout');
  const slowest = Math.max(0, ...e.attempts.map((a) => a.endedAt - a.startedAt));
  return result(
    'every request answered within its bound',
    timeouts.map(
      (a) => `${a.target} ${JSON.stringify(a.request.body)} at ${new Date(a.startedAt).toISOString()}`,
    ),
    `${timeouts.length} timed out; slowest answer ${slowest} ms`,
  );
};

const idempotent: Check = (e) => {
  const byKey = new Map<string, OrderRow[]>();
  for (const o of e.orders)
    if (o.idempotencyKey) byKey.set(o.idempotencyKey, [...(byKey.get(o.idempotencyKey) ?? []), o]);
  const bad = [...byKey]
    .filter(([, rows]) => rows.filter((r) => r.status === 'CONFIRMED').length > 1)
    .map(([key, rows]) => `${key}: ${rows.length} orders`);
  const retried = e.attempts.filter((a) => a.retry).length;
  return result(
    'an Idempotency-Key confirms at most one order',
    bad,
    `${byKey.size} keys in orders, ${retried} retries sent`,
  );
};

/** Per transaction, not only in sum: a CONFIRMED order has exactly its withdrawal and reservation, and nothing else was kept. */
const effectsMatchOrders: Check = (e) => {
  const orders = new Map(confirmed(e).map((o) => [o.transactionId ?? '', o]));
  const paid = sumBy(
    e.effects.withdrawals,
    (w) => w.transactionId,
    (w) => w.cents,
  );
  const reserved = sumBy(
    e.effects.reservations,
    (r) => r.transactionId,
    (r) => r.quantity,
  );
  const bad: string[] = [];
  for (const [tx, o] of orders) {
    if (paid.get(tx) !== o.totalCents)
      bad.push(`order ${o.id}: total ${money(o.totalCents)}, withdrawn ${money(paid.get(tx) ?? 0)}`);
    if (reserved.get(tx) !== o.quantity)
      bad.push(`order ${o.id}: ${o.quantity} units, reserved ${reserved.get(tx) ?? 0}`);
  }
  for (const tx of new Set([...paid.keys(), ...reserved.keys()]))
    if (!orders.has(tx))
      bad.push(
        `transaction ${tx}: withdrawn ${money(paid.get(tx) ?? 0)}, reserved ${reserved.get(tx) ?? 0}, no CONFIRMED order`,
      );
  return result(
    'per transaction: a CONFIRMED order, its withdrawal and its reservation all kept, or none',
    bad,
    `${orders.size} confirmed orders, ${paid.size} transactions with withdrawals, ${reserved.size} with reservations`,
  );
};

/**
 * Per order, published if any copy of its order.confirmed was (an order is in one
 * transaction, but the same event may show in the coordinator and, baseline-era, in the
 * order outbox). Since protocol v2 a rolled-back transaction may still carry its initiator's
 * events, unpublished: only a *published* event for an order that is not CONFIRMED is wrong.
 */
const confirmationsPublished: Check = (e) => {
  const published = new Map<string, boolean>();
  for (const ev of e.orderEvents)
    published.set(ev.orderId, (published.get(ev.orderId) ?? false) || ev.published);
  const bad: string[] = [];
  for (const o of confirmed(e)) {
    if (!published.has(o.id)) bad.push(`order ${o.id} CONFIRMED without an order.confirmed event`);
    else if (!published.get(o.id)) bad.push(`order ${o.id}: order.confirmed not published`);
  }
  const ids = new Set(confirmed(e).map((o) => o.id));
  for (const [orderId, out] of published)
    if (out && !ids.has(orderId)) bad.push(`order.confirmed published for ${orderId}, not a CONFIRMED order`);
  const sources = countBy(
    e.orderEvents,
    (ev) => `${ev.source} ${ev.published ? 'published' : 'unpublished'}`,
  );
  return result(
    'every CONFIRMED order, and only those, had its order.confirmed published',
    bad,
    `${e.orderEvents.length} events (${format(sources)}), ${[...published.values()].filter(Boolean).length} orders published`,
  );
};

/** The reason of a tombstone: resolve found the transaction unknown past its deadline. */
export const PRESUMED_ABORT = 'presumed-abort';

/** `trx:<service>:<transactionId>:<key>` → the transaction id. */
function transactionOfGid(gid: string): string | undefined {
  const parts = gid.split(':');
  return parts[0] === 'trx' && parts.length >= 4 ? parts[2] : undefined;
}

/**
 * Presumed abort is safe only if a tombstone is final: every transaction tombstoned
 * (rolled back by resolve, unknown past its deadline) stays rolled back, no participant
 * committed a branch of it, and no order of it was confirmed — however late its commit came
 * (the load's late-commit orders ask their commit past the deadline on purpose).
 */
const noCommitAfterTombstone: Check = (e) => {
  const tombstones = e.transactions.filter((t) => t.reason === PRESUMED_ABORT);
  const ids = new Set(tombstones.map((t) => t.id));
  const bad: string[] = [];
  for (const t of tombstones) {
    if (t.status !== 'rolled-back' || (t.decision !== null && t.decision !== 'rollback'))
      bad.push(`tombstone ${t.id} is ${t.status} (decision ${t.decision ?? 'none'})`);
    for (const b of t.branches)
      if (b.status === 'committed') bad.push(`tombstone ${t.id}: ${b.service} branch ${b.gid} committed`);
  }
  for (const [service, gids] of e.committedGids)
    for (const gid of gids) {
      const tx = transactionOfGid(gid);
      if (tx !== undefined && ids.has(tx)) bad.push(`${service} committed ${gid} of tombstone ${tx}`);
    }
  for (const o of confirmed(e))
    if (o.transactionId && ids.has(o.transactionId))
      bad.push(`order ${o.id} CONFIRMED, its transaction ${o.transactionId} tombstoned`);
  const late = e.attempts.filter((a) => a.request.fault === LATE_COMMIT);
  const byId = new Map(e.orders.map((o) => [o.id, o]));
  for (const a of late) {
    const id = orderIdOf(a);
    if (id && byId.get(id)?.status === 'CONFIRMED') bad.push(`late-commit order ${id} CONFIRMED`);
  }
  // The commit answered "rolled back" (409 transaction-rolled-back); other answers are refusals before it (stock, money) or faults.
  const refused = late.filter((a) => a.body?.error === 'transaction-rolled-back');
  const lateOrders = late.map(orderIdOf).flatMap((id) => (id ? [byId.get(id)] : []));
  const onTombstone = lateOrders.filter((o) => o?.transactionId && ids.has(o.transactionId)).length;
  return result(
    'no late commit after a tombstone: a presumed-abort transaction stays rolled back, nothing of it committed or confirmed',
    bad,
    `${tombstones.length} tombstones (${tombstones.filter((t) => t.initiator === null).length} without initiator); ` +
      `${late.length} late commits sent, ${refused.length} refused as rolled back (${format(countBy(late, answerText))}), ` +
      `${onTombstone} of their orders on a tombstone; ${bad.length} wrong`,
  );
};

function answerText(a: Attempt): string {
  if (a.status === undefined) return a.error ?? 'no answer';
  return typeof a.body?.error === 'string' ? `${a.status}:${a.body.error}` : String(a.status);
}

const CHECKS: Check[] = [
  moneyConserved,
  stockConserved,
  effectsMatchOrders,
  orderStatuses,
  transactionsEnded,
  branchesAgree,
  postgresAgrees,
  decisionsAcknowledged,
  decidedInTime,
  answeredCreatedIsConfirmed,
  answeredRefusalIsNotConfirmed,
  ordersAgreeWithTransactions,
  noPrepared,
  refusalsHold,
  noHang,
  idempotent,
  confirmationsPublished,
  noCommitAfterTombstone,
];

function sumBy<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  valueOf: (item: T) => number,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(keyOf(item), (sums.get(keyOf(item)) ?? 0) + valueOf(item));
  return sums;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

function format(counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return parts.length ? parts.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
}
