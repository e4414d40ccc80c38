import { parseOptions } from './options';

describe('bench options', () => {
  it('defaults to the full run', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({
      durationS: 15,
      concurrency: [1, 4, 16, 64],
      modes: ['trx', 'baseline', 'local'],
      out: 'bench/results',
      pgCost: true,
    });
  });

  it('makes --quick short, all modes, results out of the committed directory', () => {
    const o = parseOptions(['--quick']);
    expect(o).toMatchObject({
      durationS: 3,
      concurrency: [1, 4],
      modes: ['trx', 'baseline', 'local'],
      pgCost: false,
    });
    expect(o.out).toBe('bench/results/tmp');
  });

  it('reads --name value and --name=value', () => {
    const o = parseOptions([
      '--duration=30',
      '--concurrency',
      '16,64',
      '--modes',
      'trx',
      '--url',
      'http://h:8080/',
    ]);
    expect(o).toMatchObject({ durationS: 30, concurrency: [16, 64], modes: ['trx'], url: 'http://h:8080' });
  });

  it('refuses unknown options, modes and bad numbers', () => {
    expect(() => parseOptions(['--fast'])).toThrow('unknown option --fast');
    expect(() => parseOptions(['--modes', 'saga'])).toThrow('unknown mode saga');
    expect(() => parseOptions(['--concurrency', '1,x'])).toThrow('--concurrency');
  });
});
