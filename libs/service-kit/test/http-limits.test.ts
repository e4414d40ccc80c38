import { get as httpGet } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Router } from 'express';
import { silentLogger } from '@trx/logging';
import { waitFor } from '@trx/test-support';
import { createRegistry, startHttpServer, type HttpServer } from '../src';

let server: HttpServer;
let port: number;
const releases: (() => void)[] = [];

beforeAll(async () => {
  const routes = Router();
  routes.get('/ping', (_req, res) => void res.json({ pong: true }));
  routes.get('/stuck', async (_req, res) => {
    await new Promise<void>((resolve) => releases.push(resolve));
    res.json({ late: true }); // after the deadline's answer: dropped, the connection lives on
  });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    routes,
    registry: createRegistry('limits-test'),
    checks: {},
    limits: {
      headersTimeoutMs: 200,
      requestTimeoutMs: 1000,
      keepAliveTimeoutMs: 1000,
      maxConnections: 2,
      requestDeadlineMs: 150,
    },
  });
  port = server.port;
});

afterAll(async () => {
  for (const release of releases) release();
  await server?.close(1000);
});

/** A raw connection, its received bytes, and whether the server closed it. */
function open(): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let data = '';
    let ended = false;
    const socket = connect(port, '127.0.0.1', () =>
      resolve({ socket, received: () => data, closed: () => ended }),
    );
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('close', () => (ended = true));
    socket.on('error', () => (ended = true));
    socket.once('error', reject);
  });
}

/** A GET on a connection of its own, closed after the answer (no keep-alive socket lingers toward the cap). */
function get(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpGet(`${server.url}${path}`, { agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

const ping = async () => (await get('/ping')).status;

describe('the HTTP server bounds', () => {
  it('when request headers do not arrive in time, then it answers 408 and closes, and serves the next request', async () => {
    const slow = await open();
    slow.socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n'); // headers never finish
    await waitFor(() => slow.closed(), { timeoutMs: 5000, description: 'the slow client to be cut off' });
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(await ping()).toBe(200);
  });

  it('when a handler outlives the request deadline, then the caller gets 503 request-timeout, and the next request is served', async () => {
    const res = await get('/stuck');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ error: 'request-timeout', retryable: true });
    releases.shift()!(); // the late answer must not break anything
    expect(await ping()).toBe(200);
  });

  it('when more connections open than the cap, then the extra one is closed at once, and once one closes the next is served', async () => {
    const held = [await open(), await open()];
    await waitFor(async () => (await server.connections()) === 2, { description: 'two connections held' });
    const extra = await open();
    await waitFor(() => extra.closed(), {
      timeoutMs: 5000,
      description: 'the extra connection to be closed',
    });
    expect(extra.received()).toBe('');
    held[0]!.socket.destroy();
    await waitFor(async () => (await server.connections()) < 2, { description: 'a slot to free up' });
    expect(await ping()).toBe(200);
    held[1]!.socket.destroy();
  });
});
