/**
 * A tiny HTTP server standing in for one replica of a service in discovery tests: it answers
 * `GET /health/ready` (what the Consul check probes) and `GET /whoami` with its name, and counts hits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Replica {
  name: string;
  port: number;
  url: string;
  /** Requests to /whoami received. */
  hits: number;
  /** Stops listening and drops kept-alive connections: later connects are refused. */
  kill(): Promise<void>;
}

export interface ReplicaOptions {
  /** Drop the connection after receiving /whoami, as a replica that crashes mid-request does. */
  resetOnWhoami?: boolean;
}

export async function startReplica(name: string, options: ReplicaOptions = {}): Promise<Replica> {
  const replica = { name, port: 0, url: '', hits: 0 } as Replica;
  const server = http.createServer((req, res) => {
    if (req.url === '/whoami') replica.hits += 1;
    if (req.url === '/whoami' && options.resetOnWhoami) return req.socket.destroy();
    const status = req.url === '/whoami' || req.url === '/health/ready' ? 200 : 404;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ name }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  replica.port = (server.address() as AddressInfo).port;
  replica.url = `http://127.0.0.1:${replica.port}`;
  replica.kill = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return replica;
}
