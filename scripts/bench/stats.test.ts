import { LatencyRecorder, percentile } from './stats';

describe('latency summary', () => {
  it('takes nearest-rank percentiles of sorted samples', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([], 0.99)).toBe(0);
  });

  it('counts only operations that ended inside the window in the rate, and every error by kind', () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 5000; i++) recorder.ok(i % 10, true);
    recorder.ok(100, false);
    recorder.error('http-409:insufficient-stock');
    recorder.error('http-409:insufficient-stock');
    const s = recorder.summary(2000);
    expect(s.committed).toBe(5000);
    expect(s.rate).toBe(2500);
    expect(s.max).toBe(100);
    expect(s.errors).toBe(2);
    expect(s.errorKinds).toEqual({ 'http-409:insufficient-stock': 2 });
  });
});
