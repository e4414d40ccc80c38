import type { Client } from 'pg';

/**
 * Counts the socket writes of a pg client until `stop()`: on this machine a write that wakes
 * Postgres is the unit of cost, so a test of a hot path asserts how many it takes. A write
 * outside a cork goes out at once; a cork's writes go out together when it is lifted, and
 * count once.
 *
 * @example
 *   const writes = countSocketWrites(client);
 *   await client.query('SELECT $1::int', [1]);
 *   writes.stop();
 *   expect(writes.count).toBe(1);
 */
export function countSocketWrites(client: Client): { readonly count: number; stop(): void } {
  const socket = client.connection.stream;
  const counter = { count: 0, stop };
  const write = socket.write.bind(socket);
  socket.write = ((...args: Parameters<typeof socket.write>) => {
    if (socket.writableCorked === 0) counter.count++;
    return write(...args);
  }) as typeof socket.write;
  const uncork = socket.uncork.bind(socket);
  socket.uncork = () => {
    if (socket.writableCorked === 1) counter.count++;
    uncork();
  };
  function stop() {
    socket.write = write;
    socket.uncork = uncork;
  }
  return counter;
}

/** The socket writes the client makes while `run` runs. */
export async function writesDuring(client: Client, run: () => Promise<unknown>): Promise<number> {
  const writes = countSocketWrites(client);
  try {
    await run();
  } finally {
    writes.stop();
  }
  return writes.count;
}
