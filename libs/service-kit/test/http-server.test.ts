import { Router } from 'express';
import { silentLogger } from '@trx/logging';
import { waitFor } from '@trx/test-support';
import { createRegistry, InvalidRequestError, startHttpServer, type HttpServer } from '../src';

class TeapotError extends Error {
  override readonly name = 'TeapotError';
}

let server: HttpServer;
let release: (() => void) | undefined;

beforeAll(async () => {
  const routes = Router();
  routes.post('/echo', (req, res) => void res.json(req.body));
  routes.get('/items/:id', (req, res) => void res.json({ id: req.params.id }));
  routes.get('/invalid', () => {
    throw new InvalidRequestError('no good', [{ path: 'x', message: 'missing' }]);
  });
  routes.get('/teapot', () => {
    throw new TeapotError('short and stout');
  });
  routes.get('/boom', () => {
    throw new Error('secret internals');
  });
  routes.get('/slow', async (_req, res) => {
    await new Promise<void>((resolve) => (release = resolve));
    res.json({ finished: true });
  });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    routes,
    registry: createRegistry('kit-test'),
    checks: {
      database: async () => undefined,
      broker: async () => {
        throw new Error('not connected to RabbitMQ');
      },
    },
    errorMappers: [
      (err) =>
        (err as Error).name === 'TeapotError'
          ? { status: 418, body: { error: 'teapot', message: (err as Error).message } }
          : undefined,
    ],
  });
});

afterAll(async () => {
  release?.();
  await server?.close(1000);
});

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

describe('the HTTP server of a service', () => {
  it('is live, and not ready while one named check fails', async () => {
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'up' } });
    expect(await get('/health/ready')).toEqual({
      status: 503,
      body: { status: 'down', checks: { database: 'up', broker: 'down' } },
    });
  });

  it('leaves the checks named by ?ignore= out of readiness (the chart ignores the coordinator)', async () => {
    expect(await get('/health/ready?ignore=broker')).toEqual({
      status: 200,
      body: { status: 'up', checks: { database: 'up' } },
    });
    expect(await get('/health/ready?ignore=coordinator,nothing')).toMatchObject({ status: 503 });
  });

  it('parses JSON bodies and answers 400 to a body that is not JSON', async () => {
    const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
    expect(await get('/echo', { ...json, body: '{"a":1}' })).toEqual({ status: 200, body: { a: 1 } });
    expect(await get('/echo', { ...json, body: '{nope' })).toEqual({
      status: 400,
      body: { error: 'invalid-request', message: 'the body is not valid JSON' },
    });
  });

  it('answers what the HTTP layer refuses in the error shape: too large, unreadable, undecodable', async () => {
    const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
    expect(await get('/echo', { ...json, body: JSON.stringify({ a: 'x'.repeat(100_000) }) })).toEqual({
      status: 413,
      body: { error: 'body-too-large', message: 'the body is larger than this API accepts' },
    });
    const unknownEncoding = {
      ...json,
      headers: { ...json.headers, 'content-encoding': 'x-unknown' },
      body: '{}',
    };
    expect(await get('/echo', unknownEncoding)).toMatchObject({
      status: 415,
      body: { error: 'unsupported-media-type' },
    });
    expect(await get('/items/%E0%A4%A')).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
  });

  it('maps typed errors to bodies, the app mapping first, and hides anything else', async () => {
    expect(await get('/invalid')).toEqual({
      status: 400,
      body: { error: 'invalid-request', message: 'no good', details: [{ path: 'x', message: 'missing' }] },
    });
    expect(await get('/teapot')).toEqual({
      status: 418,
      body: { error: 'teapot', message: 'short and stout' },
    });
    expect(await get('/boom')).toEqual({
      status: 500,
      body: { error: 'internal-error', message: 'the request could not be completed' },
    });
    expect(await get('/nowhere')).toEqual({
      status: 404,
      body: { error: 'not-found', message: 'no such route' },
    });
  });

  it('serves request metrics', async () => {
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/http_requests_total\{.*service="kit-test"/);
  });
});

describe('an app that words its own 404 and times its routes itself', () => {
  let own: HttpServer;
  beforeAll(async () => {
    own = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger(),
      routes: Router(),
      registry: createRegistry('kit-test-own'),
      checks: {},
      notFoundMessage: (req) => `no route for ${req.method} ${req.path}`,
      requestMetrics: false,
    });
  });
  afterAll(() => own?.close(1000));

  it('answers its 404 and serves no request metrics', async () => {
    const res = await fetch(`${own.url}/nowhere`);
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 404,
      body: { error: 'not-found', message: 'no route for GET /nowhere' },
    });
    expect(await (await fetch(`${own.url}/metrics`)).text()).not.toContain('http_requests_total');
  });
});

describe('closing', () => {
  it('lets a request in flight finish', async () => {
    const slow = get('/slow');
    const finish = await waitFor(() => release, { description: 'the request to reach its handler' });
    const closed = server.close(5000);
    finish();
    expect(await slow).toEqual({ status: 200, body: { finished: true } });
    await closed;
  });
});
