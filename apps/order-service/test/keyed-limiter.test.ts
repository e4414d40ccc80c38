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

test('when a key has its cap of waiters, then one more is refused at once with too-busy, and once the queue drains the next is served', async () => {
  const refusals: string[] = [];
  const limiter = new KeyedLimiter(1, { maxWaiters: 1, maxWaitMs: 0, onRefused: (r) => refusals.push(r) });
  const gate = deferred();
  const running = limiter.run(['product:1'], () => gate.promise);
  const waiting = limiter.run(['product:1'], async () => 'waited');
  await expect(limiter.run(['product:1'], async () => 'never')).rejects.toMatchObject({
    name: 'TooBusyError',
    code: 'too-busy',
    retryable: true,
    details: { key: 'product:1', reason: 'queue-full' },
  });
  expect(refusals).toEqual(['queue-full']);
  gate.resolve();
  await running;
  expect(await waiting).toBe('waited');
  expect(await limiter.run(['product:1'], async () => 'next')).toBe('next');
});

test('when a waiter outlasts the wait deadline, then it is refused with too-busy and leaves the queue, and the slot still passes on', async () => {
  const limiter = new KeyedLimiter(1, { maxWaiters: 10, maxWaitMs: 50 });
  const gate = deferred();
  const running = limiter.run(['customer:1'], () => gate.promise);
  await expect(limiter.run(['customer:1'], async () => 'never')).rejects.toMatchObject({
    code: 'too-busy',
    details: { reason: 'wait-timeout' },
  });
  expect(limiter.waiting()).toBe(0);
  gate.resolve();
  await running;
  expect(await limiter.run(['customer:1'], async () => 'next')).toBe('next');
});
