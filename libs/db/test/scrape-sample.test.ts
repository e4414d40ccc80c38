import { scrapeSampler } from '../src';

test('a read that answers in time is the sample', async () => {
  await expect(scrapeSampler(async () => 7)()).resolves.toBe(7);
});

test('a read that fails is no sample (the gauge says -1)', async () => {
  await expect(scrapeSampler(() => Promise.reject(new Error('database down')))()).resolves.toBeUndefined();
});

test('a read slower than the bound is no sample, and the scrape does not wait for it', async () => {
  const never = new Promise<number>(() => undefined);
  const started = Date.now();
  await expect(scrapeSampler(() => never, 20)()).resolves.toBeUndefined();
  expect(Date.now() - started).toBeLessThan(1000);
});

test('gauges collected together share one read; the next scrape reads again', async () => {
  let reads = 0;
  const sample = scrapeSampler(async () => ++reads);
  await expect(Promise.all([sample(), sample(), sample()])).resolves.toEqual([1, 1, 1]);
  await expect(sample()).resolves.toBe(2);
});
