import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { createServiceCaller, staticDirectory } from '../src';

/**
 * Regression (found by the benchmark at 64 clients): a service closed an idle kept-alive
 * socket just as the caller reused it; the call failed with ECONNRESET although the service
 * never saw the request, and with a single instance there was nobody to retry on.
 * This server destroys every socket on its second request — exactly that race, made
 * deterministic — so the second call must be retried on a fresh connection to the same instance.
 */
test('a reset of a reused keep-alive socket is retried on a fresh connection to the only instance', async () => {
  const perSocket = new WeakMap<Socket, number>();
  let handled = 0;
  const server = http.createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n > 1) return req.socket.destroy();
    handled += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const caller = createServiceCaller({ directory: staticDirectory({ svc: [url] }) });
  try {
    const first = await caller.request('svc', { method: 'GET', url: '/' });
    const second = await caller.request('svc', { method: 'GET', url: '/' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(handled).toBe(2);
  } finally {
    await caller.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** After an idle spell every pooled socket can be stale at once: the retry must not take another one. */
test('when every pooled socket is stale, the retry goes out on a new connection', async () => {
  const stale = new WeakSet<Socket>();
  const sockets = new Set<Socket>();
  let handled = 0;
  const server = http.createServer((req, res) => {
    if (stale.has(req.socket)) return req.socket.destroy();
    handled += 1;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 20);
  });
  server.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const caller = createServiceCaller({ directory: staticDirectory({ svc: [url] }) });
  try {
    // Four sockets in the pool, all of them then turned stale.
    await Promise.all([1, 2, 3, 4].map(() => caller.request('svc', { method: 'GET', url: '/' })));
    expect(sockets.size).toBe(4);
    for (const s of sockets) stale.add(s);
    const answer = await caller.request('svc', { method: 'GET', url: '/' });
    expect(answer.status).toBe(200);
    expect(handled).toBe(5);
  } finally {
    await caller.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
