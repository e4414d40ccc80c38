import type { BranchStatus } from '@trx/protocol';
import type { BranchRecord, TransactionRecord } from '../src/data-access';
import { compatGid } from '../src/compat/compat-mapping';
import { compatParticipants } from '../src/compat/compat-participants';
import { stuckReasonOf } from '../src/domain/stuck';
import { timelineOf } from '../src/domain/console-use-cases';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function tx(over: Partial<TransactionRecord>): TransactionRecord {
  return {
    id: '01900000-0000-7000-8000-000000000001',
    status: 'active',
    decision: null,
    reason: null,
    initiator: 'order-service',
    compat: false,
    timeoutMs: 10_000,
    deadline: at(10),
    createdAt: T0,
    updatedAt: T0,
    decidedAt: null,
    nextRepublishAt: null,
    republishCount: 0,
    inDoubtSince: null,
    announced: true,
    events: null,
    ...over,
  };
}

function branch(service: string, status: BranchStatus, over: Partial<BranchRecord> = {}): BranchRecord {
  return {
    id: `b-${service}`,
    transactionId: '01900000-0000-7000-8000-000000000001',
    service,
    instance: `${service}-1`,
    gid: `trx:${service}:01900000-0000-7000-8000-000000000001:k`,
    status,
    reason: null,
    finishedByCaller: false,
    createdAt: at(1),
    updatedAt: at(2),
    ...over,
  };
}

describe('why a transaction is stuck', () => {
  test('an active transaction within its deadline is fine; past it, it timed out and the sweeper will roll it back', () => {
    expect(stuckReasonOf(tx({}), [], at(9), 5000, compatParticipants)).toBeUndefined();
    expect(stuckReasonOf(tx({}), [], at(22), 5000, compatParticipants)).toEqual({
      kind: 'timed-out',
      reason: 'timed out 12 s ago; the sweeper will roll it back',
      services: [],
    });
  });

  test('a decision unacknowledged past the first re-publish names the services that have not acknowledged', () => {
    const t = tx({ status: 'committing', decision: 'commit', decidedAt: at(3) });
    const branches = [branch('account-service', 'prepared'), branch('product-service', 'committed')];
    expect(stuckReasonOf(t, branches, at(7), 5000, compatParticipants)).toBeUndefined();
    expect(stuckReasonOf(t, branches, at(43), 5000, compatParticipants)).toEqual({
      kind: 'unacknowledged',
      reason: 'account-service has not acknowledged for 40 s',
      services: ['account-service'],
    });
  });

  test('an in-doubt transaction says how often it was re-published without whose acknowledgement', () => {
    const t = tx({
      status: 'rolling-back',
      decision: 'rollback',
      decidedAt: at(3),
      republishCount: 10,
      inDoubtSince: at(100),
    });
    const branches = [branch('account-service', 'prepared'), branch('product-service', 'registered')];
    expect(stuckReasonOf(t, branches, at(130), 5000, compatParticipants)).toEqual({
      kind: 'in-doubt',
      reason:
        "in doubt for 30 s: re-published 10 times without account-service and product-service's acknowledgement",
      services: ['account-service', 'product-service'],
    });
  });

  test("a Spring-compatible participant's branch is never waited for: the decision settles it", () => {
    const t = tx({ status: 'committing', decision: 'commit', decidedAt: at(3) });
    const spring = { ...branch('spring-service', 'prepared'), gid: compatGid('spring-service', t.id) };
    expect(stuckReasonOf(t, [spring], at(43), 5000, compatParticipants)).toBeUndefined();
    expect(
      stuckReasonOf(t, [spring, branch('account-service', 'prepared')], at(43), 5000, compatParticipants),
    ).toMatchObject({
      services: ['account-service'],
    });
  });

  test('a finished transaction is never stuck', () => {
    const t = tx({ status: 'committed', decision: 'commit', decidedAt: at(3) });
    expect(
      stuckReasonOf(t, [branch('account-service', 'committed')], at(1000), 5000, compatParticipants),
    ).toBeUndefined();
  });
});

test('the timeline is in time order and keeps the story order for equal instants', () => {
  const t = tx({ status: 'committed', decision: 'commit', decidedAt: at(2), updatedAt: at(4) });
  const b = branch('account-service', 'committed', { createdAt: at(1), updatedAt: at(3) });
  const events = timelineOf(
    t,
    [b],
    [
      {
        id: 'm',
        routingKey: 'decision.account-service',
        body: {},
        createdAt: at(2),
        publishedAt: at(2),
        attempts: 1,
      },
    ],
  ).map((e) => e.event);
  expect(events).toEqual([
    'begun',
    'branch registered',
    'decided commit',
    // Announced with the decision (no outbox row tells it), then the outbox's own message.
    'published transaction.committed',
    'published decision.account-service',
    'branch acknowledged committed',
    'finished committed',
  ]);
});

test('an unannounced decision shows its messages as queued for the re-publish', () => {
  const t = tx({ status: 'committing', decision: 'commit', decidedAt: at(2), announced: false });
  const events = timelineOf(t, [branch('account-service', 'prepared', { createdAt: at(1) })], []).map(
    (e) => `${e.event}${e.detail ? ` (${e.detail})` : ''}`,
  );
  expect(events).toContain('queued decision.account-service (not announced yet; the re-publish sends it)');
  expect(events).toContain('queued transaction.committed (not announced yet; the re-publish sends it)');
});
