import { parseOptions } from './options';

/** Local endpoints, so that no test reads the machine's secrets for the broker's URL. */
const ENV = {
  TRX_PG_ADMIN_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  TRX_AMQP_URL: 'amqp://trx-coordinator@127.0.0.1:5672/trx',
};

describe('the chaos command line', () => {
  it('aims at a three-minute run with every fault kind but pause', () => {
    expect(parseOptions([], ENV)).toMatchObject({
      durationMs: 180_000,
      concurrency: 4,
      faults: ['kill-coordinator', 'kill-participant', 'kill-order', 'rabbitmq', 'postgres'],
      maxFaults: 15,
      recoveryTimeoutMs: 90_000,
      build: true,
      keep: false,
      logLevel: 'info',
      quick: false,
    });
  });

  it('reads --name value, --name=value and flags', () => {
    expect(
      parseOptions(
        [
          '--duration=30',
          '--faults',
          'kill,pause',
          '--max-faults',
          '2',
          '--no-build',
          '--keep',
          '--seed',
          '7',
        ],
        ENV,
      ),
    ).toMatchObject({
      durationMs: 30_000,
      faults: ['kill-coordinator', 'kill-participant', 'kill-order', 'pause'],
      maxFaults: 2,
      build: false,
      keep: true,
      seed: 7,
    });
  });

  it('refuses unknown options, stray arguments and a missing value', () => {
    expect(() => parseOptions(['--fast'], ENV)).toThrow("Unknown option '--fast'");
    expect(() => parseOptions(['fast'], ENV)).toThrow("Unexpected argument 'fast'");
    expect(() => parseOptions(['--seed'], ENV)).toThrow("'--seed <value>' argument missing");
    expect(() => parseOptions(['--keep=no'], ENV)).toThrow("'--keep' does not take an argument");
  });

  it('refuses bad values, naming what is wrong', () => {
    const usage = (argv: string[], message: string | RegExp) =>
      expect(() => parseOptions(argv, ENV)).toThrow(
        expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(message) }),
      );
    usage(['--concurrency', '2.5'], /^--concurrency must be a non-negative integer$/);
    usage(['--seed', '-1'], /argument is ambiguous/);
    usage(['--seed=-1'], /^--seed must be a non-negative integer$/);
    usage(['--duration', '0'], /^a duration must be a positive number of seconds$/);
    usage(['--recovery', 'soon'], /^a duration must be a positive number of seconds$/);
    usage(['--faults', 'meteor'], /^unknown fault kind 'meteor'$/);
  });

  it('never restarts a PostgreSQL or RabbitMQ that is not on this machine', () => {
    const remote = { ...ENV, TRX_PG_ADMIN_URL: 'postgres://postgres@db.example:5432/postgres' };
    expect(() => parseOptions(['--faults', 'db'], remote)).toThrow(
      '--faults postgres needs a local PostgreSQL',
    );
    expect(parseOptions(['--faults', 'kill'], remote).faults).toEqual([
      'kill-coordinator',
      'kill-participant',
      'kill-order',
    ]);
  });
});
