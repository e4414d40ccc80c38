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

describe('verifying a decision message', () => {
  it('accepts one from the coordinator user whose every gid names its transaction and this service', () => {
    expect(verifyDecision(message(), verifier)).toEqual({ event: body() });
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
