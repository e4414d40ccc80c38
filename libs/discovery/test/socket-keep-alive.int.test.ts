import http, { type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceCaller, staticDirectory } from '../src';

/** A socket's native handle: its setKeepAlive is the system call (Node internals, peeked at in tests only). */
interface WithHandle {
  _handle: { setKeepAlive(enable: boolean, delaySeconds: number): number };
}

/**
 * Regression (profiles: Socket.setKeepAlive per call): axios asks for TCP keep-alive on every
 * request's socket, the agent again each time it takes the socket back, and Node makes the
 * system call whenever the delay asked for differs from the last one.
 */
test('calls over one kept-alive socket set its TCP keep-alive once, not on every call', async () => {
  let connections = 0;
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  );
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const caller = createServiceCaller({ directory: staticDirectory({ svc: [url] }) });
  try {
    const first = await caller.request('svc', { method: 'GET', url: '/' });
    const socket = (first.request as ClientRequest).socket as unknown as WithHandle;
    const syscalls = jest.spyOn(socket._handle, 'setKeepAlive');
    for (let i = 0; i < 5; i++) {
      expect((await caller.request('svc', { method: 'GET', url: '/' })).status).toBe(200);
    }
    expect(connections).toBe(1);
    expect(syscalls).not.toHaveBeenCalled();
  } finally {
    await caller.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
