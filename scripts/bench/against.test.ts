import { renderAgainst, roundRatios, type Sample } from './against';
import type { StepResult } from './results';

const step = (rate: number): StepResult =>
  ({
    mode: 'trx',
    concurrency: 16,
    summary: { rate, p99: 100 },
    cpu: { msPerOrder: {}, totalMsPerOrder: 20, busyCores: 2 },
  }) as unknown as StepResult;

const builds = ['old', 'new'];
/** The machine slows down in round 2: both builds lose the same share. */
const samples: Sample[] = [
  { round: 1, build: 'old', steps: [step(40)] },
  { round: 1, build: 'new', steps: [step(80)] },
  { round: 2, build: 'new', steps: [step(50)] },
  { round: 2, build: 'old', steps: [step(25)] },
  { round: 3, build: 'old', steps: [step(44)] },
  { round: 3, build: 'new', steps: [step(99)] },
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
});
