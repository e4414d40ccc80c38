import { cpuBetween, sampleCpu } from './cpu-probe';

describe('the CPU probe', () => {
  it("counts the machine's context switches between two samples (this process sleeping is some)", async () => {
    const before = sampleCpu();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const after = sampleCpu();
    expect(before.switches).toBeGreaterThan(0);
    expect(cpuBetween(before, after).switches).toBeGreaterThanOrEqual(5);
  });
});
