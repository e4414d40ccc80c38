import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceCaller, staticDirectory, type ServiceCaller } from '../src';

/** A replica that takes connections and requests but never answers, as a paused (SIGSTOP) process. */
async function startServer(
  answer: boolean,
): Promise<{ url: string; seen: () => number; stop: () => Promise<void> }> {
  let seen = 0;
  const server = http.createServer((req, res) => {
    seen += 1;
    if (answer) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: () => seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let paused: Awaited<ReturnType<typeof startServer>>;
let healthy: Awaited<ReturnType<typeof startServer>>;
let caller: ServiceCaller;
let clock = 0;

beforeEach(async () => {
  paused = await startServer(false);
  healthy = await startServer(true);
  clock = Date.now();
  caller = createServiceCaller({
    directory: staticDirectory({ svc: [paused.url, healthy.url] }),
    timeoutMs: 300,
    ejectMs: 10_000,
    clock: () => clock,
  });
});
afterEach(async () => {
  await caller.close();
  await Promise.all([paused.stop(), healthy.stop()]);
});

test('when a call that allows it times out on a paused instance, then it is answered by the other one, and the paused one is passed over afterwards', async () => {
  const started = Date.now();
  const first = await caller.request('svc', { method: 'POST', url: '/commit' }, { retryOnTimeout: true });
  expect(first.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(1000); // one timeout, not two
  expect([paused.seen(), healthy.seen()]).toEqual([1, 1]);

  for (let i = 0; i < 4; i++) {
    const t = Date.now();
    expect((await caller.request('svc', { method: 'GET', url: '/' })).status).toBe(200);
    expect(Date.now() - t).toBeLessThan(300); // shorter than the timeout: no call waits for the paused instance
  }
  expect([paused.seen(), healthy.seen()]).toEqual([1, 5]);
});

test('when a call that does not allow it times out, then it fails with ETIMEDOUT and is not sent again', async () => {
  // Round robin starts at the paused instance.
  await expect(caller.request('svc', { method: 'POST', url: '/reservations' })).rejects.toMatchObject({
    code: 'ETIMEDOUT',
  });
  expect([paused.seen(), healthy.seen()]).toEqual([1, 0]);
});

test('when the pass-over ran out, then the instance gets calls again', async () => {
  await caller.request('svc', { method: 'GET', url: '/' }, { retryOnTimeout: true });
  expect(paused.seen()).toBe(1);
  clock += 10_001;
  // Round robin has moved on: the next two calls cover both instances again.
  await caller.request('svc', { method: 'GET', url: '/' }, { retryOnTimeout: true });
  await caller.request('svc', { method: 'GET', url: '/' }, { retryOnTimeout: true });
  expect(paused.seen()).toBe(2);
});
