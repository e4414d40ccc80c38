import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createBoundedServer, listenOn, type HttpLimits } from '@trx/service-kit';

/** What every trx app's start() resolves with (docs/architecture.md). */
export interface RunningApp {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface ListeningServer {
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish (bounded), then drops idle keep-alive sockets. */
  close(): Promise<void>;
}

export async function listen(
  app: Express,
  port: number,
  host: string,
  shutdownTimeoutMs: number,
  limits: HttpLimits,
) {
  const server: Server = await listenOn(createBoundedServer(app, limits), port, host);
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const listening: ListeningServer = {
    port: actual,
    url: `http://${shownHost}:${actual}`,
    close: () => closeGracefully(server, shutdownTimeoutMs),
  };
  return listening;
}

function closeGracefully(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    // Idle keep-alive sockets would hold close() open; in-flight requests finish first.
    server.closeIdleConnections();
  });
}
