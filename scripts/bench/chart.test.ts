import { linearTicks, logTicks } from './chart';

describe('chart axes', () => {
  it('puts linear ticks from 0 past the largest value in round steps', () => {
    expect(linearTicks(430)).toEqual([0, 100, 200, 300, 400, 500]);
  });

  it('puts log ticks in 1-2-5 steps from just below the smallest to just above the largest value', () => {
    expect(logTicks([3.2, 41])).toEqual([2, 5, 10, 20, 50]);
    expect(logTicks([120, 2400])).toEqual([100, 200, 500, 1000, 2000, 5000]);
  });

  it('falls back to powers of ten over many decades', () => {
    expect(logTicks([0.5, 4000])).toEqual([0.1, 1, 10, 100, 1000, 10000]);
  });
});
