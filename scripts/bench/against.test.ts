import { renderAgainst, roundRatios, type Sample } from './against';
import type { StepResult } from './results';

const step = (rate: number, switchesPerOrder?: number): StepResult =>
  ({
    mode: 'trx',
    concurrency: 16,
    summary: { rate, p99: 100 },
    cpu: { msPerOrder: {}, totalMsPerOrder: 20, busyCores: 2, switchesPerOrder },
  }) as unknown as StepResult;

const builds = ['old', 'new'];
/** The machine slows down in round 2: both builds lose the same share. */
const samples: Sample[] = [
  { round: 1, build: 'old', steps: [step(40)] },
  { round: 1, build: 'new', steps: [step(80, 30)] },
  { round: 2, build: 'new', steps: [step(50, 34)] },
  { round: 2, build: 'old', steps: [step(25)] },
  { round: 3, build: 'old', steps: [step(44)] },
  { round: 3, build: 'new', steps: [step(99, 31)] },
];

describe('comparing two builds measured in turns', () => {
  it("pairs each round's two steps, so drift between rounds stays out of the ratio", () => {
    expect(roundRatios(samples, builds, 'trx c=16')).toEqual([2, 2, 2.25]);
    expect(roundRatios(samples, builds, 'baseline c=16')).toEqual([]);
  });

  it('reports both the ratio of the medians and the median of the rounds', () => {
    const report = renderAgainst(builds, samples);
    // Medians: new 80, old 40 → 2.000; rounds 2, 2, 2.25 → 2.000.
    expect(report).toContain('| trx c=16 | 2.000 | 2.00, 2.00, 2.25 | 2.000 |');
  });

  it("gives the median context switches an order of a build whose bench counts them, '–' for one that does not", () => {
    const report = renderAgainst(builds, samples);
    expect(report).toContain(
      '| trx c=16 | new | 80.0 (100), 50.0 (100), 99.0 (100) | 80.0 | 100 | 20.0 | 31.0 |',
    );
    expect(report).toContain(
      '| trx c=16 | old | 40.0 (100), 25.0 (100), 44.0 (100) | 40.0 | 100 | 20.0 | – |',
    );
  });
});
