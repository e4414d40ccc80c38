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
    // Medians: new 80, old 40 → 2.000; rounds 2, 2, 2.25 → 2.000; no probe times: no adjusted ratio.
    expect(report).toContain('| trx c=16 | 2.000 | 2.00, 2.00, 2.25 | 2.000 | – | – |');
  });

  it("adjusts each round's ratio by how fast the machine was during each step", () => {
    const probed = (s: Sample, probeMs: number): Sample => ({ ...s, probeMs: { 'trx c=16': probeMs } });
    // Round 1: the machine 1.5 × slower during the new build's step; round 3: no probe for old.
    const withProbe = [
      probed(samples[0]!, 10),
      probed(samples[1]!, 15),
      probed(samples[2]!, 12),
      probed(samples[3]!, 12),
      samples[4]!,
      probed(samples[5]!, 9),
    ];
    expect(roundRatios(withProbe, builds, 'trx c=16', true)).toEqual([3, 2]);
    const report = renderAgainst(builds, withProbe);
    expect(report).toContain('| trx c=16 | 2.000 | 2.00, 2.00, 2.25 | 2.000 | 3.00, 2.00 | 2.500 |');
    expect(report).toMatch(/\| trx c=16 \| old \| .* \| 10\.0, 12\.0, – \|$/m);
  });

  it("gives the median context switches an order of a build whose bench counts them, '–' for one that does not", () => {
    const report = renderAgainst(builds, samples);
    expect(report).toContain(
      '| trx c=16 | new | 80.0 (100), 50.0 (100), 99.0 (100) | 80.0 | 100 | 20.0 | 31.0 | –, –, – |',
    );
    expect(report).toContain(
      '| trx c=16 | old | 40.0 (100), 25.0 (100), 44.0 (100) | 40.0 | 100 | 20.0 | – | –, –, – |',
    );
  });
});
