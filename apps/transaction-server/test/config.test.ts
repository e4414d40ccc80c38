import { decisionWindowMs, loadAppConfig as load } from '../src/config';

/** The required keys; the test is about the others. */
const required = {
  DATABASE_URL: 'postgres://trx_coordinator:pw@127.0.0.1:5432/trx_coordinator',
  AMQP_URL: 'amqp://trx-coordinator:pw@127.0.0.1:5672/trx',
  TRX_SERVICE_TOKEN: 'x'.repeat(43),
  TRX_TRUSTED_CALLERS: `order-service:${'0'.repeat(64)}`,
};
const loadAppConfig = (env: Record<string, string>) => load({ ...required, ...env });

test('when TRX_AUDIT_QUEUE is unset or empty, then the audit queue is trx-events.audit; when it is none, then there is none', () => {
  expect(loadAppConfig({}).auditQueue).toBe('trx-events.audit');
  expect(loadAppConfig({ TRX_AUDIT_QUEUE: '' }).auditQueue).toBe('trx-events.audit');
  expect(loadAppConfig({ TRX_AUDIT_QUEUE: 'mine' }).auditQueue).toBe('mine');
  expect(loadAppConfig({ TRX_AUDIT_QUEUE: 'none' }).auditQueue).toBe('');
});

test('when TRX_RETENTION_MS is shorter than twice the decision window, then the configuration is refused at load', () => {
  expect(loadAppConfig({}).retentionMs).toBe(7 * 24 * 3600_000);
  expect(loadAppConfig({}).maxTimeoutMs).toBe(60_000);
  // 60 s timeout + 5 s + re-publishes 10 + 20 + 40 + 60 × 7 s = 555 s; twice that is the least.
  expect(decisionWindowMs(loadAppConfig({}))).toBe(555_000);
  expect(() => loadAppConfig({ TRX_RETENTION_MS: '1000000' })).toThrow(/TRX_RETENTION_MS: must be at least/);
  expect(loadAppConfig({ TRX_RETENTION_MS: '1110000' }).retentionMs).toBe(1_110_000);
});

test('TRX_PARTICIPANT_SERVICES is a comma-separated list', () => {
  expect(loadAppConfig({}).participantServices).toEqual([
    'order-service',
    'account-service',
    'product-service',
  ]);
  expect(loadAppConfig({ TRX_PARTICIPANT_SERVICES: 'a, b' }).participantServices).toEqual(['a', 'b']);
});
