/**
 * The service directory and caller in detail, against FakeConsul: a server in this suite that
 * serves the part of Consul's HTTP API the library uses, built from Consul's API documentation
 * (see fake-consul.ts).
 */
import http from 'node:http';
import { waitFor } from '@trx/test-support';
import { createDirectory, createServiceCaller, staticDirectory, type ServiceDirectory } from '../src';
import { FakeConsul } from './fake-consul';
import { startReplica, type Replica } from './replica-server';

const fastWatch = { watchWaitMs: 2_000, retryMinMs: 20, retryMaxMs: 100, staleAfterMs: 300 };

/** Registers straight through the agent API, as another tool would. No kept-alive socket: agents restart here. */
async function put(consul: FakeConsul, body: object, token?: string): Promise<void> {
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const headers: Record<string, string> = token ? { 'X-Consul-Token': token } : {};
    const req = http.request(`${consul.url}/v1/agent/service/register`, {
      method: 'PUT',
      headers,
      agent: false,
    });
    req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  expect(status).toBe(200);
}

describe('the Consul service directory', () => {
  let consul: FakeConsul;
  let directory: ServiceDirectory | undefined;
  const replicas: Replica[] = [];

  beforeEach(async () => {
    consul = await FakeConsul.start({ nodeAddress: '127.0.0.9' });
  });
  afterEach(async () => {
    await directory?.close();
    directory = undefined;
    await Promise.all(replicas.splice(0).map((r) => r.kill()));
    await consul.stop();
  });

  it('uses the node address when an instance registered without one, and skips non-passing instances', async () => {
    await put(consul, { Name: 'order-service', ID: 'o1', Address: '', Port: 8080 });
    await put(consul, { Name: 'order-service', ID: 'o2', Address: '10.1.1.2', Port: 8080 });
    await put(consul, { Name: 'order-service', ID: 'o3', Address: '10.1.1.3', Port: 8080 });
    consul.setHealth('o2', 'critical');
    consul.setHealth('o3', 'warning');
    directory = createDirectory({ consulUrl: consul.url, staticServices: {}, ...fastWatch });
    expect(await directory.instances('order-service')).toEqual(['http://127.0.0.9:8080']);
    expect(await directory.instances('nobody')).toEqual([]);
  });

  it('asks Consul once per service and then reads the list its blocking queries keep current', async () => {
    await put(consul, { Name: 'order-service', ID: 'o1', Address: '10.1.1.1', Port: 8080 });
    directory = createDirectory({ consulUrl: consul.url, staticServices: {}, ...fastWatch });
    for (let i = 0; i < 20; i++) await directory.instances('order-service');
    const lookups = () => consul.requests.filter((r) => r.path === '/v1/health/service/order-service');
    // then the watch waits on Consul with the index of the answer it has
    const blocking = await waitFor(() => lookups().find((r) => r.query.index !== undefined));
    expect(blocking.query).toMatchObject({ index: String(consul.index), wait: '2000ms', passing: 'true' });
    expect(lookups().filter((r) => r.query.index === undefined)).toHaveLength(1);
    expect(lookups().length).toBeLessThan(5);
  });

  it('sends the ACL token with every lookup', async () => {
    await consul.stop();
    consul = await FakeConsul.start({ aclToken: 'reader' });
    await put(consul, { Name: 'order-service', ID: 'o1', Address: '10.1.1.1', Port: 8080 }, 'reader');
    directory = createDirectory({
      consulUrl: consul.url,
      consulToken: 'reader',
      staticServices: {},
      ...fastWatch,
    });
    expect(await directory.instances('order-service')).toEqual(['http://10.1.1.1:8080']);
    await waitFor(() => consul.requests.some((r) => r.query.index !== undefined));
    const lookups = consul.requests.filter((r) => r.path.startsWith('/v1/health/'));
    expect(lookups.every((r) => r.token === 'reader')).toBe(true);
  });

  it('keeps the last known instances for a short while when Consul fails, then says it cannot look up', async () => {
    await put(consul, { Name: 'order-service', ID: 'o1', Address: '10.1.1.1', Port: 8080 });
    directory = createDirectory({ consulUrl: consul.url, staticServices: {}, ...fastWatch });
    expect(await directory.instances('order-service')).toEqual(['http://10.1.1.1:8080']);
    await consul.stop();
    expect(await directory.instances('order-service')).toEqual(['http://10.1.1.1:8080']);
    const error = await waitFor(
      () =>
        directory!.instances('order-service').then(
          () => undefined,
          (err: Error) => err,
        ),
      {
        description: 'the kept list to expire',
      },
    );
    expect(error).toMatchObject({
      name: 'DiscoveryUnavailableError',
      service: 'order-service',
      retryable: true,
    });
  });

  it('follows the agent through a restart, whose X-Consul-Index starts over', async () => {
    await put(consul, { Name: 'order-service', ID: 'o1', Address: '10.1.1.1', Port: 8080 });
    await put(consul, { Name: 'order-service', ID: 'o2', Address: '10.1.1.2', Port: 8080 });
    directory = createDirectory({ consulUrl: consul.url, staticServices: {}, ...fastWatch });
    expect(await directory.instances('order-service')).toHaveLength(2);
    const port = Number(new URL(consul.url).port);
    await consul.stop();
    consul = await FakeConsul.start({ port, nodeAddress: '127.0.0.9' });
    await put(consul, { Name: 'order-service', ID: 'o3', Address: '10.1.1.3', Port: 8080 });
    // The new agent's index (2) is below the one the watch holds (3), so the watch's query waits out
    // its `wait`; then the watch must start over from index 0 instead of waiting for index 3 again.
    await waitFor(
      async () => (await directory!.instances('order-service')).join() === 'http://10.1.1.3:8080',
      {
        description: 'the watch to see the restarted agent',
      },
    );
  });

  it('fails a first lookup with a retryable error when the agent cannot be reached', async () => {
    await consul.stop();
    directory = createDirectory({ consulUrl: consul.url, staticServices: {}, ...fastWatch });
    await expect(directory.instances('order-service')).rejects.toMatchObject({
      name: 'DiscoveryUnavailableError',
      retryable: true,
    });
  });

  it('refuses a Consul address that is not an http URL', () => {
    expect(() => createDirectory({ consulUrl: 'consul:8500x', staticServices: {} })).toThrow(
      expect.objectContaining({ name: 'InvalidConsulUrlError', retryable: false }),
    );
  });

  it('returns the configured map without Consul (static mode) and never calls Consul', async () => {
    const map = {
      'transaction-server': ['http://127.0.0.1:8888'],
      'account-service': ['http://a:1', 'http://a:2'],
    };
    directory = createDirectory({ consulUrl: '', staticServices: map });
    expect(await directory.instances('account-service')).toEqual(['http://a:1', 'http://a:2']);
    expect(await directory.instances('transaction-server')).toEqual(['http://127.0.0.1:8888']);
    expect(await directory.instances('nobody')).toEqual([]);
    expect(consul.requests).toHaveLength(0);
  });

  it('does not send a call again when the instance may have received it (reset on a fresh connection)', async () => {
    replicas.push(await startReplica('crashing', { resetOnWhoami: true }), await startReplica('healthy'));
    const caller = createServiceCaller({ directory: staticDirectory({ svc: replicas.map((r) => r.url) }) });
    try {
      await expect(caller.request('svc', { method: 'POST', url: '/whoami' })).rejects.toMatchObject({
        code: 'ECONNRESET',
      });
      expect(replicas.map((r) => r.hits)).toEqual([1, 0]);
    } finally {
      await caller.close();
    }
  });
});
