import type { Socket } from 'node:net';
import type { Client } from 'pg';

/** The write hooks of a net.Socket: each call hands the kernel one write (or writev). */
interface SocketWrites {
  _write(...args: unknown[]): void;
  _writev?(...args: unknown[]): void;
}

/**
 * Counts the writes a socket hands the kernel until `stop()` (the calls of its `_write` and
 * `_writev`): on this machine a write that wakes another process is the unit of cost, so a
 * test of a hot path asserts how many it takes. Writes made under a cork go out together
 * when it is lifted, and count once. Takes a pg client (its connection's socket) or a socket.
 *
 * @example
 *   const writes = countSocketWrites(client);
 *   await client.query('SELECT $1::int', [1]);
 *   writes.stop();
 *   expect(writes.count).toBe(1);
 */
export function countSocketWrites(target: Client | Socket): { readonly count: number; stop(): void } {
  const socket = ('connection' in target ? target.connection.stream : target) as unknown as SocketWrites;
  const counter = { count: 0, stop };
  const own = { _write: Object.hasOwn(socket, '_write'), _writev: Object.hasOwn(socket, '_writev') };
  const write = socket._write;
  const writev = socket._writev;
  socket._write = function (this: unknown, ...args: unknown[]) {
    counter.count++;
    return write.apply(this, args);
  };
  if (writev) {
    socket._writev = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return writev.apply(this, args);
    };
  }
  function stop() {
    // Back to the prototype's hooks (or the socket's own, when it had them).
    if (own._write) socket._write = write;
    else delete (socket as Partial<SocketWrites>)._write;
    if (own._writev) socket._writev = writev;
    else delete socket._writev;
  }
  return counter;
}

/** The socket writes the client (or socket) makes while `run` runs. */
export async function writesDuring(target: Client | Socket, run: () => Promise<unknown>): Promise<number> {
  const writes = countSocketWrites(target);
  try {
    await run();
  } finally {
    writes.stop();
  }
  return writes.count;
}
