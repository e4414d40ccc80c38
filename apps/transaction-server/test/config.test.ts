import { loadAppConfig as load } from '../src/config';

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
