import { createHash, randomFillSync } from 'node:crypto';

/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then 74 random
 * bits. Ids made one after another sort together, so a B-tree on them takes each insert on
 * its rightmost pages instead of a random page each — after a checkpoint Postgres logs every
 * page it first touches whole, so random keys multiply the WAL. Any UUID validator accepts it.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomBytesPooled(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  return uuidOf(bytes, 7);
}

const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

/**
 * `n` fresh bytes of the system's CSPRNG, for ids. They are taken from a pool filled 4 KiB at a
 * time, as Node's own `randomUUID` does: a call into OpenSSL for every id (two or three an
 * order in each service) cost more than the id's other work. No byte is handed out twice.
 * Not for secrets: the pool keeps bytes in memory until they are used.
 */
export function randomBytesPooled(n: number): Buffer {
  if (n > RANDOM_POOL_BYTES) return randomFillSync(Buffer.alloc(n));
  if (randomOffset + n > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafeSlow(RANDOM_POOL_BYTES));
    randomOffset = 0;
  }
  const bytes = Buffer.from(randomPool.subarray(randomOffset, randomOffset + n));
  randomOffset += n;
  return bytes;
}

/**
 * A UUID of version 8 (made by the application, RFC 9562) from the first 16 bytes of SHA-256
 * over `name`: the same name always gives the same id (e.g. one id per event there can be,
 * so every re-send of it deduplicates).
 */
export function uuidv8Of(name: string): string {
  return uuidOf(createHash('sha256').update(name).digest().subarray(0, 16), 8);
}

/** 16 bytes as a UUID string, with its version and the RFC variant written in. */
function uuidOf(bytes: Buffer, version: number): string {
  bytes[6] = (bytes[6]! & 0x0f) | (version << 4);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `s` is a UUID in its canonical text form (any version, either case): what a uuid column accepts without a cast error. */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The Unix milliseconds a UUIDv7 was minted at (its first 48 bits); undefined for any other string. */
export function uuidv7Time(id: string): number | undefined {
  if (!UUIDV7.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
