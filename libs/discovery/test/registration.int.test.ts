/**
 * Registration with the Consul agent, against FakeConsul: a server in this suite that serves the
 * part of Consul's HTTP API the library uses, built from Consul's API documentation (see
 * fake-consul.ts). No Consul binary can be installed on these machines.
 */
import { waitFor } from '@trx/test-support';
import { registerService, type Registration, type RegistrationOptions } from '../src';
import { FakeConsul } from './fake-consul';

describe('registering an instance with the Consul agent', () => {
  let consul: FakeConsul;
  const registrations: Registration[] = [];

  async function register(overrides: Partial<RegistrationOptions> = {}): Promise<Registration> {
    const registration = await registerService({
      consulUrl: consul.url,
      service: 'account-service',
      instanceId: 'account-service-host-1',
      address: '10.0.0.7',
      port: 8081,
      tags: ['trx', 'participant'],
      healthPath: '/health/ready',
      resyncIntervalMs: 50,
      ...overrides,
    });
    registrations.push(registration);
    return registration;
  }

  beforeEach(async () => {
    consul = await FakeConsul.start();
  });
  afterEach(async () => {
    await Promise.all(registrations.splice(0).map((r) => r.deregister()));
    await consul.stop();
  });

  it('sends the service, its address and an HTTP check on the readiness endpoint as Consul expects', async () => {
    await register();
    expect(consul.registrations.get('account-service-host-1')?.body).toEqual({
      Name: 'account-service',
      ID: 'account-service-host-1',
      Address: '10.0.0.7',
      Port: 8081,
      Tags: ['trx', 'participant'],
      Check: {
        Name: 'account-service readiness',
        HTTP: 'http://10.0.0.7:8081/health/ready',
        Interval: '10s',
        Timeout: '5s',
        DeregisterCriticalServiceAfter: '1m',
      },
    });
    const put = consul.requests.find((r) => r.path === '/v1/agent/service/register');
    expect(put?.method).toBe('PUT');
  });

  it('removes the instance from the agent when it shuts down, and stops checking on it', async () => {
    const registration = await register();
    await registration.deregister();
    expect(consul.registrations.has('account-service-host-1')).toBe(false);
    expect(consul.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: '/v1/agent/service/deregister/account-service-host-1',
    });
    const seen = consul.requests.length;
    // the resync timer runs every 50 ms; a deadline well past that shows it stopped
    await expect(waitFor(() => consul.requests.length > seen, { timeoutMs: 300 })).rejects.toThrow(
      /timed out/,
    );
  });

  it('registers again when the agent forgets it (agent restart)', async () => {
    await register();
    consul.forgetAll();
    expect(consul.registrations.size).toBe(0);
    const again = await waitFor(() => consul.registrations.get('account-service-host-1'), {
      timeoutMs: 5_000,
      description: 're-registration',
    });
    expect(again.body).toMatchObject({ Name: 'account-service', Port: 8081 });
    expect(
      consul.requests.some(
        (r) => r.method === 'GET' && r.path === '/v1/agent/service/account-service-host-1',
      ),
    ).toBe(true);
  });

  it('sends the ACL token as X-Consul-Token on every request', async () => {
    await consul.stop();
    consul = await FakeConsul.start({ aclToken: 's3cret' });
    const registration = await register({ consulToken: 's3cret' });
    await waitFor(() => consul.requests.some((r) => r.path.startsWith('/v1/agent/service/account')));
    await registration.deregister();
    expect(consul.requests.length).toBeGreaterThanOrEqual(3);
    expect(consul.requests.every((r) => r.token === 's3cret')).toBe(true);
    expect(consul.registrations.size).toBe(0);
  });

  it('fails fast with a non-retryable error when the agent refuses the registration', async () => {
    await consul.stop();
    consul = await FakeConsul.start({ aclToken: 's3cret' });
    await expect(register({ consulToken: 'wrong' })).rejects.toMatchObject({
      name: 'RegistrationRejectedError',
      statusCode: 403,
      retryable: false,
    });
  });

  it('starts while the agent is down and registers as soon as it answers', async () => {
    const port = Number(new URL(consul.url).port);
    await consul.stop();
    await register(); // must not throw: compose may start the app before its Consul agent
    consul = await FakeConsul.start({ port });
    await waitFor(() => consul.registrations.get('account-service-host-1'), {
      description: 'late registration',
    });
  });

  it('does nothing without a Consul address (static discovery)', async () => {
    const registration = await register({ consulUrl: '' });
    await registration.deregister();
    expect(consul.requests).toHaveLength(0);
  });
});
