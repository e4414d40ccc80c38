import { makeGid } from '@trx/protocol';
import { verifyDecision, type DecisionMessage } from '../src';

const service = 'account-service';
const tx = '01930000-0000-7000-8000-000000000001';
const verifier = { service, coordinatorUser: 'trx-coordinator' };
const body = (over: Record<string, unknown> = {}) => ({
  messageId: 'm',
  type: 'decision',
  occurredAt: '2026-01-01T00:00:00Z',
  transactionId: tx,
  service,
  decision: 'commit',
  branches: [{ branchId: 'b1', gid: makeGid(service, tx, 'k1') }],
  ...over,
});
const message = (over: Partial<DecisionMessage> = {}): DecisionMessage => ({
  routingKey: `decision.${service}`,
  messageId: 'm',
  body: body(),
  redelivered: false,
  userId: 'trx-coordinator',
  ...over,
});

const entry = (txId: string, over: Record<string, unknown> = {}) => ({
  transactionId: txId,
  decision: 'rollback',
  branches: [{ branchId: 'b1', gid: makeGid(service, txId, 'k1') }],
  ...over,
});
const batch = (decisions: unknown[], over: Record<string, unknown> = {}) => ({
  messageId: 'm',
  type: 'decisions',
  occurredAt: '2026-01-01T00:00:00Z',
  service,
  decisions,
  ...over,
});
const tx2 = '01930000-0000-7000-8000-000000000002';

describe('verifying a decision batch', () => {
  it('accepts every entry whose gids name its transaction and this service', () => {
    const entries = [entry(tx), entry(tx2, { decision: 'commit' })];
    expect(verifyDecision(message({ body: batch(entries) }), verifier)).toEqual({
      decisions: entries,
      poison: [],
    });
  });

  it('sets aside a malformed entry or one with a foreign gid, and keeps the others', () => {
    const good = entry(tx);
    const foreign = entry(tx2, { branches: [{ branchId: 'b', gid: makeGid(service, tx, 'k') }] });
    const otherService = entry(tx2, {
      branches: [{ branchId: 'b', gid: makeGid('product-service', tx2, 'k') }],
    });
    const malformed = entry(tx2, { decision: 'abort' });
    const verdict = verifyDecision(
      message({ body: batch([foreign, good, malformed, otherService, 7]) }),
      verifier,
    );
    expect(verdict).toEqual({
      decisions: [good],
      poison: [
        { reason: 'foreign-gid', entry: foreign },
        { reason: 'malformed', entry: malformed },
        { reason: 'foreign-gid', entry: otherService },
        { reason: 'malformed', entry: 7 },
      ],
    });
  });

  it.each([
    ['no-user-id', message({ userId: undefined, body: batch([entry(tx)]) })],
    ['wrong-user', message({ userId: 'trx-order', body: batch([entry(tx)]) })],
    ['wrong-service', message({ body: batch([entry(tx)], { service: 'product-service' }) })],
    ['malformed', message({ body: batch([entry(tx)], { service: 42 }) })],
    ['malformed', message({ body: batch([entry(tx)], { decisions: 'all' }) })],
    ['malformed', message({ body: batch(Array.from({ length: 501 }, () => entry(tx))) })],
  ])('refuses the whole message as %s', (reason, m) => {
    expect(verifyDecision(m, verifier)).toEqual({ reason });
  });
});

describe('verifying an old single decision message', () => {
  it('accepts one from the coordinator user whose every gid names its transaction and this service', () => {
    const { transactionId, decision, branches } = body();
    expect(verifyDecision(message(), verifier)).toEqual({
      decisions: [{ transactionId, decision, branches }],
      poison: [],
    });
  });

  it.each([
    ['no-user-id', message({ userId: undefined })],
    ['wrong-user', message({ userId: 'trx-order' })],
    ['malformed', message({ body: body({ decision: 'abort' }) })],
    ['malformed', message({ body: body({ branches: [{ gid: 42, branchId: 'b1' }] }) })],
    ['malformed', message({ body: 'not json' })],
    ['wrong-service', message({ body: body({ service: 'product-service' }) })],
    [
      'foreign-gid',
      message({ body: body({ branches: [{ branchId: 'b', gid: makeGid(service, 'other-tx', 'k') }] }) }),
    ],
    [
      'foreign-gid',
      message({ body: body({ branches: [{ branchId: 'b', gid: makeGid('product-service', tx, 'k') }] }) }),
    ],
    ['foreign-gid', message({ body: body({ branches: [{ branchId: 'b', gid: `trx:${service}:${tx}` }] }) })],
  ])('refuses it as %s', (reason, m) => {
    expect(verifyDecision(m, verifier)).toEqual({ reason });
  });

  it('checks the user before it reads the body', () => {
    expect(verifyDecision(message({ userId: 'trx-order', body: 'garbage' }), verifier)).toEqual({
      reason: 'wrong-user',
    });
  });
});
