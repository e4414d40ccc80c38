import { parseCommand, parseOptions } from './options';

describe('bench options', () => {
  it('defaults to the full run', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({
      durationS: 15,
      concurrency: [1, 4, 16, 64],
      modes: ['trx', 'baseline', 'local'],
      out: 'bench/results',
      pgCost: true,
      seed: true,
      profile: false,
      keepUp: false,
      dbPrefix: 'trx',
      pgUrl: 'postgres://postgres@127.0.0.1:5432',
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
      '--services=product-service=http://p:1/',
      '--no-seed',
      '--no-pg-cost',
    ]);
    expect(o).toMatchObject({
      durationS: 30,
      concurrency: [16, 64],
      modes: ['trx'],
      url: 'http://h:8080',
      seed: false,
      pgCost: false,
    });
    expect(o.services['product-service']).toBe('http://p:1');
    expect(o.services['transaction-server']).toBe('http://127.0.0.1:8888');
  });

  it('refuses unknown options, stray arguments and a missing value', () => {
    expect(() => parseOptions(['--fast'])).toThrow("Unknown option '--fast'");
    expect(() => parseOptions(['--trace-calls'])).toThrow("Unknown option '--trace-calls'");
    expect(() => parseOptions(['fast'])).toThrow("Unexpected argument 'fast'");
    expect(() => parseOptions(['--duration'])).toThrow("'--duration <value>' argument missing");
    expect(() => parseOptions(['--duration', '--quick'])).toThrow("'--duration' argument is ambiguous");
    expect(() => parseOptions(['--quick=yes'])).toThrow("'--quick' does not take an argument");
  });

  it('refuses bad values with the option they belong to', () => {
    const usage = (argv: string[], message: string) => {
      expect(() => parseOptions(argv)).toThrow(expect.objectContaining({ name: 'UsageError', message }));
    };
    usage(['--modes', 'saga'], 'unknown mode saga: use trx,baseline,local,coordinator');
    usage(['--concurrency', '1,x'], '--concurrency must be a positive number, got x');
    usage(['--rows', '1.5'], '--rows must be an integer, got 1.5');
    usage(['--duration=0'], '--duration must be a positive number, got 0');
    usage(['--warmup=-1'], '--warmup must be >= 0, got -1');
    usage(['--services', 'order-service'], '--services wants name=url,..., got order-service');
    usage(
      ['--profile', '--url', 'http://h:8080'],
      '--profile needs the bench to start the services: drop --url',
    );
  });
});

describe('bench commands', () => {
  it('runs the benchmark unless asked for a soak or another build', () => {
    expect(parseCommand(['--quick'])).toMatchObject({ run: 'bench', options: { quick: true } });
  });

  it('reads --soak <minutes> with the rest of the options', () => {
    expect(parseCommand(['--concurrency', '8', '--soak', '20'])).toMatchObject({
      run: 'soak',
      minutes: 20,
      options: { concurrency: [8] },
    });
    expect(() => parseCommand(['--soak', 'x'])).toThrow('--soak needs a number of minutes');
    expect(() => parseCommand(['--soak'])).toThrow("'--soak <value>' argument missing");
  });

  it('hands every other argument of --against, as written, to both builds', () => {
    expect(
      parseCommand(['--modes', 'trx', '--against', '39ccdda', '--rounds=2', '--concurrency', '16']),
    ).toEqual({
      run: 'against',
      against: {
        ref: '39ccdda',
        rounds: 2,
        benchArgs: ['--no-pg-cost', '--modes', 'trx', '--concurrency', '16'],
        out: 'bench/results',
      },
    });
    expect(parseCommand(['--against=HEAD~1'])).toMatchObject({ against: { ref: 'HEAD~1', rounds: 3 } });
  });

  it('refuses --rounds without --against, a bad count and an empty ref', () => {
    expect(() => parseCommand(['--rounds', '2'])).toThrow('--rounds goes with --against');
    expect(() => parseCommand(['--against', 'HEAD', '--rounds', '0'])).toThrow(
      '--rounds must be a positive integer',
    );
    expect(() => parseCommand(['--against='])).toThrow('--against needs a git ref');
  });
});
