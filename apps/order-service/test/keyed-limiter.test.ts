import { KeyedLimiter } from '../src/domain/keyed-limiter';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('at most `limit` runs share a key; other keys are not held back', async () => {
  const limiter = new KeyedLimiter(2);
  const gates = [deferred(), deferred(), deferred()];
  let active = 0;
  let peak = 0;
  const runs = gates.map((gate) =>
    limiter.run(['product:4'], async () => {
      peak = Math.max(peak, ++active);
      await gate.promise;
      active--;
    }),
  );
  let otherRan = false;
  await limiter.run(['product:1'], async () => void (otherRan = true));
  expect(otherRan).toBe(true);
  expect(limiter.waiting()).toBe(1);
  gates.forEach((g) => g.resolve());
  await Promise.all(runs);
  expect(peak).toBe(2);
  expect(limiter.waiting()).toBe(0);
});

test('a failing run releases its slots', async () => {
  const limiter = new KeyedLimiter(1);
  await expect(limiter.run(['a', 'b'], async () => Promise.reject(new Error('boom')))).rejects.toThrow(
    'boom',
  );
  await expect(limiter.run(['a', 'b'], async () => 'ok')).resolves.toBe('ok');
});
