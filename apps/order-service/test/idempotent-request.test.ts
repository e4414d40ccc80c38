import {
  runIdempotent,
  type Claim,
  type IdempotencyStore,
  type StoredAnswer,
} from '../src/domain/idempotent-request';

/** An in-memory key store, to test the rules of runIdempotent alone (the .int tests use Postgres). */
function memoryStore() {
  const keys = new Map<string, { fingerprint: string; answer?: StoredAnswer; since: Date }>();
  const store: IdempotencyStore = {
    claim: async (key, fingerprint): Promise<Claim> => {
      const row = keys.get(key);
      if (!row) {
        keys.set(key, { fingerprint, since: new Date(0) });
        return { kind: 'claimed' };
      }
      if (row.answer) return { kind: 'answered', answer: row.answer, fingerprint: row.fingerprint };
      return { kind: 'in-progress', fingerprint: row.fingerprint, since: row.since };
    },
    takeOver: async () => true,
    complete: async (key, answer) => void (keys.get(key)!.answer = answer),
    release: async (key) => void keys.delete(key),
  };
  return { store, keys };
}

const base = {
  fingerprint: 'f',
  staleAfterMs: 1_000,
  recover: async () => undefined,
  clock: () => new Date(500),
};

test('a repeat gets the stored answer without running', async () => {
  const { store } = memoryStore();
  let runs = 0;
  const run = async () => ({ status: 201, body: { n: ++runs }, keep: true });
  await runIdempotent({ ...base, store, key: 'k', run });
  expect(await runIdempotent({ ...base, store, key: 'k', run })).toEqual({
    status: 201,
    body: { n: 1 },
    replayed: true,
  });
  expect(runs).toBe(1);
});

test('a retryable answer is not kept: the retry runs again', async () => {
  const { store, keys } = memoryStore();
  await runIdempotent({
    ...base,
    store,
    key: 'k',
    run: async () => ({ status: 503, body: {}, keep: false }),
  });
  expect(keys.has('k')).toBe(false);
});

test('a key still in progress answers request-in-progress; another body answers idempotency-key-reused', async () => {
  const { store } = memoryStore();
  await store.claim('k', 'f');
  const run = async () => ({ status: 201, body: {}, keep: true });
  await expect(runIdempotent({ ...base, store, key: 'k', run })).rejects.toMatchObject({
    code: 'request-in-progress',
  });
  await expect(runIdempotent({ ...base, store, key: 'k', fingerprint: 'g', run })).rejects.toMatchObject({
    code: 'idempotency-key-reused',
  });
});

test('a stale in-progress key is taken over, and answers what the crashed attempt committed', async () => {
  const { store } = memoryStore();
  await store.claim('k', 'f');
  const recovered = { status: 201, body: { id: 'o1' } };
  const answer = await runIdempotent({
    ...base,
    clock: () => new Date(5_000),
    store,
    key: 'k',
    recover: async () => recovered,
    run: async () => ({ status: 500, body: {}, keep: true }),
  });
  expect(answer).toEqual({ ...recovered, replayed: true });
});
