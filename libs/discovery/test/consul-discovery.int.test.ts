/**
 * Finding and calling services through Consul, against FakeConsul: a server in this suite that
 * serves the part of Consul's HTTP API the library uses, built from Consul's API documentation
 * (see fake-consul.ts). The replicas are real HTTP servers, so connects really succeed or fail.
 */
import { waitFor } from '@trx/test-support';
import {
  createDirectory,
  createServiceCaller,
  registerService,
  type Registration,
  type ServiceCaller,
  type ServiceDirectory,
} from '../src';
import { FakeConsul } from './fake-consul';
import { startReplica, type Replica } from './replica-server';

const fastWatch = { watchWaitMs: 2_000, retryMinMs: 20, retryMaxMs: 100, staleAfterMs: 300 };

describe('calling a service found through Consul', () => {
  let consul: FakeConsul;
  let replicas: Replica[];
  let registrations: Registration[];
  let directory: ServiceDirectory;
  let caller: ServiceCaller;

  beforeEach(async () => {
    consul = await FakeConsul.start();
    replicas = [await startReplica('product-1'), await startReplica('product-2')];
    registrations = await Promise.all(
      replicas.map((replica) =>
        registerService({
          consulUrl: consul.url,
          service: 'product-service',
          instanceId: replica.name,
          address: '127.0.0.1',
          port: replica.port,
          healthPath: '/health/ready',
          resyncIntervalMs: 50,
        }),
      ),
    );
    directory = createDirectory({ consulUrl: consul.url, staticServices: {}, ...fastWatch });
    caller = createServiceCaller({ directory, timeoutMs: 2_000 });
  });

  afterEach(async () => {
    await caller.close();
    await directory.close();
    await Promise.all(registrations.map((r) => r.deregister()));
    await Promise.all(replicas.map((r) => r.kill()));
    await consul.stop();
  });

  async function whoami(): Promise<string> {
    const res = await caller.request<{ name: string }>('product-service', { method: 'GET', url: '/whoami' });
    return res.data.name;
  }

  it('finds the passing instances by name, at the address and port they registered', async () => {
    expect(await directory.instances('product-service')).toEqual(replicas.map((r) => r.url).sort());
    // the check Consul was given probes the replica's own readiness endpoint
    const check = consul.registrations.get('product-1')?.body.Check as { HTTP: string };
    expect(check.HTTP).toBe(`${replicas[0]!.url}/health/ready`);
  });

  it('spreads calls round robin across two replicas', async () => {
    const names = [];
    for (let i = 0; i < 6; i++) names.push(await whoami());
    expect(names.filter((n) => n === 'product-1')).toHaveLength(3);
    expect(names.filter((n) => n === 'product-2')).toHaveLength(3);
    expect(names[0]).not.toBe(names[1]);
  });

  it('stops calling an instance whose check goes critical, and calls it again when it passes', async () => {
    await directory.instances('product-service');
    consul.setHealth('product-1', 'critical');
    await waitFor(async () => (await directory.instances('product-service')).length === 1, {
      description: 'the critical instance to leave the directory',
    });
    const before = replicas[0]!.hits;
    for (let i = 0; i < 4; i++) expect(await whoami()).toBe('product-2');
    expect(replicas[0]!.hits).toBe(before);

    consul.setHealth('product-1', 'passing');
    await waitFor(async () => (await directory.instances('product-service')).length === 2);
    const names = new Set([await whoami(), await whoami()]);
    expect(names).toEqual(new Set(['product-1', 'product-2']));
  });

  it('fails over to the other replica when one is killed before Consul notices', async () => {
    await whoami(); // warm up kept-alive connections to both
    await whoami();
    await replicas[0]!.kill();
    // Consul still lists the dead replica (its check has not run yet): every call must still succeed
    for (let i = 0; i < 4; i++) expect(await whoami()).toBe('product-2');
  });

  it('finds the instances again after the agent forgot them and they registered again', async () => {
    await directory.instances('product-service');
    consul.forgetAll();
    expect(consul.registrations.size).toBe(0);
    // the registrations' resync (every 50 ms here) puts them back, and the watch sees them
    await waitFor(() => consul.registrations.size === 2, { description: 're-registration' });
    await waitFor(async () => new Set([await whoami(), await whoami()]).size === 2, {
      description: 'calls reaching both replicas again',
    });
  });
});
