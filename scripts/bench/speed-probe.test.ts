import { probeMsBetween, startSpeedProbe } from './speed-probe';

describe('the speed probe', () => {
  it('reports the CPU its fixed work took, a few times a second', async () => {
    const probe = startSpeedProbe(50);
    try {
      const deadline = Date.now() + 20_000;
      while (probe.samples.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.stop();
    }
    expect(probe.samples.length).toBeGreaterThanOrEqual(3);
    for (const s of probe.samples) {
      expect(s.cpuMs).toBeGreaterThan(0);
      expect(s.at).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it("takes the median of the samples inside a step's window only", () => {
    const samples = [
      { at: 1_000, cpuMs: 50 },
      { at: 2_000, cpuMs: 8 },
      { at: 2_500, cpuMs: 12 },
      { at: 3_000, cpuMs: 9 },
      { at: 9_000, cpuMs: 40 },
    ];
    expect(probeMsBetween(samples, 2_000, 3_000)).toBe(9);
    expect(probeMsBetween(samples, 2_000, 2_500)).toBe(10);
    expect(probeMsBetween(samples, 4_000, 8_000)).toBeUndefined();
  });
});
