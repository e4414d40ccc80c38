/**
 * k8s/trx/files/helm-test.js, the `helm test` pod's check, run by node against a local HTTP
 * server that answers like the apps: ready, and the order API with or without a customer token.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../../docker/test/app-config-keys';

const SCRIPT = path.join(REPO_ROOT, 'k8s', 'trx', 'files', 'helm-test.js');

let server: Server;
let url: string;
let ready = true;
let anonymousStatus = 401;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/health/ready') res.statusCode = ready ? 200 : 503;
    else if (req.method === 'POST' && req.url === '/orders') {
      res.statusCode = req.headers.authorization === 'Bearer good' ? 201 : anonymousStatus;
    } else res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function runCheck(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], {
      env: {
        PATH: process.env.PATH ?? '',
        APP_URLS: `order-service=${url},account-service=${url}`,
        ORDER_URL: url,
        PRODUCT_ID: '1',
        QUANTITY: '1',
        ...env,
      },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

afterEach(() => {
  ready = true;
  anonymousStatus = 401;
});

test('passes when every app is ready and the order API wants a token', async () => {
  const result = await runCheck({});
  expect(result).toEqual({ code: 0, output: expect.stringContaining('helm test: ok') });
  expect(result.output).toContain('no order placed');
});

test('places an order with the customer token', async () => {
  const result = await runCheck({ CUSTOMER_TOKEN: 'good' });
  expect(result).toEqual({ code: 0, output: expect.stringContaining('with the customer token: 201') });
});

test('fails when an app is not ready, when the order API takes anonymous orders, or the order fails', async () => {
  ready = false;
  expect((await runCheck({})).code).toBe(1);
  ready = true;
  anonymousStatus = 201;
  expect(await runCheck({})).toEqual({ code: 1, output: expect.stringContaining('expected 401, got 201') });
  anonymousStatus = 401;
  expect((await runCheck({ CUSTOMER_TOKEN: 'bad' })).code).toBe(1);
});
