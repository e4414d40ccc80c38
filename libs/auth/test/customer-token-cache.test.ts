import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CustomerTokenCache } from '../src/customer-token-cache';

const publicKey = (): KeyObject => generateKeyPairSync('ed25519').publicKey;
/** The cache reads only a token's header (for the key getter); the rest is never checked here. */
const token = (n: number) =>
  `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url')}.payload-${n}.sig`;

function cacheOf(o: { capacity?: number; key?: () => KeyObject } = {}) {
  const clock = { now: 0 };
  const key = publicKey();
  const cache = new CustomerTokenCache({
    capacity: o.capacity ?? 10,
    keyFor: o.key ?? (() => key),
    now: () => clock.now,
  });
  return { cache, clock, key };
}

test('a remembered token is answered only while exp and nbf hold, by the whole second as jose counts', async () => {
  const { cache, clock, key } = cacheOf();
  const verified = { customerId: 7, key, exp: 1_000, nbf: 900 };
  cache.remember(token(1), verified);
  clock.now = 899_999; // 899 s: not yet
  expect(await cache.lookup(token(1))).toBeUndefined();
  expect(cache.size).toBe(0);
  cache.remember(token(1), verified);
  clock.now = 900_000;
  expect(await cache.lookup(token(1))).toBe(7);
  clock.now = 999_999;
  expect(await cache.lookup(token(1))).toBe(7);
  clock.now = 1_000_000; // exp is no longer later than now
  expect(await cache.lookup(token(1))).toBeUndefined();
  expect(cache.size).toBe(0);
});

test('when the key getter no longer gives the key the token verified under, or throws, it is a miss', async () => {
  const [a, b] = [publicKey(), publicKey()];
  let current: () => KeyObject = () => a;
  const { cache } = cacheOf({ key: () => current() });
  const remember = () => cache.remember(token(1), { customerId: 7, key: a, exp: 10 });

  remember();
  // A reloaded JWKS imports its keys again: the same key material is the same key.
  current = () => createPublicKey({ key: a.export({ format: 'jwk' }), format: 'jwk' });
  expect(await cache.lookup(token(1))).toBe(7);
  current = () => b;
  expect(await cache.lookup(token(1))).toBeUndefined();
  remember();
  current = () => {
    throw new Error('no key matches');
  };
  expect(await cache.lookup(token(1))).toBeUndefined();
});

test('at most capacity tokens are remembered, the oldest leaving first; a repeat evicts nobody', async () => {
  const { cache, key } = cacheOf({ capacity: 2 });
  const remember = (n: number) => cache.remember(token(n), { customerId: n, key, exp: 10 });
  remember(1);
  remember(2);
  remember(2);
  expect(cache.size).toBe(2);
  remember(3);
  expect(cache.size).toBe(2);
  expect(await cache.lookup(token(1))).toBeUndefined();
  expect(await cache.lookup(token(2))).toBe(2);
  expect(await cache.lookup(token(3))).toBe(3);
});

test('a capacity of 0 remembers nothing', async () => {
  const { cache, key } = cacheOf({ capacity: 0 });
  cache.remember(token(1), { customerId: 1, key, exp: 10 });
  expect(cache.size).toBe(0);
  expect(await cache.lookup(token(1))).toBeUndefined();
});
