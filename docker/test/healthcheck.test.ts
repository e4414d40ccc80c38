/**
 * docker/healthcheck.js, the image's HEALTHCHECK, run against a local HTTP server that answers
 * like an app: live, not ready.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './app-config-keys';

const SCRIPT = path.join(REPO_ROOT, 'docker', 'healthcheck.js');

function runHealthcheck(env: Record<string, string>, ...args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/health/live' ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('exits 0 when the path answers 2xx (default /health/live)', async () => {
  expect(await runHealthcheck({ PORT: String(port) })).toBe(0);
});

test('exits 1 when the path answers 503', async () => {
  expect(await runHealthcheck({ PORT: String(port) }, '/health/ready')).toBe(1);
});

test('exits 1 when nothing listens', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const freePort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  expect(await runHealthcheck({ PORT: String(freePort) })).toBe(1);
});
