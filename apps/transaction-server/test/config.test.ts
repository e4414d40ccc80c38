import { loadAppConfig } from '../src/config';

test('when TRX_AUDIT_QUEUE is unset or empty, then the audit queue is trx-events.audit; when it is none, then there is none', () => {
  expect(loadAppConfig({}).auditQueue).toBe('trx-events.audit');
  expect(loadAppConfig({ TRX_AUDIT_QUEUE: '' }).auditQueue).toBe('trx-events.audit');
  expect(loadAppConfig({ TRX_AUDIT_QUEUE: 'mine' }).auditQueue).toBe('mine');
  expect(loadAppConfig({ TRX_AUDIT_QUEUE: 'none' }).auditQueue).toBe('');
});
