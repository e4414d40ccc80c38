import { LogTap } from '@trx/test-support';
import { PeriodicJob, type JobTimers } from '../src';

/** Timers that fire only when the test advances the clock. */
class ManualTimers implements JobTimers {
  private now = 0;
  private next = 0;
  private readonly due = new Map<number, { at: number; fire: () => void }>();

  setTimeout(fire: () => void, ms: number): number {
    this.next += 1;
    this.due.set(this.next, { at: this.now + ms, fire });
    return this.next;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get pending(): number {
    return this.due.size;
  }

  /** Moves the clock on, firing what comes due in order, and lets the rounds it started settle. */
  async advance(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, timer] of [...this.due].sort(([, a], [, b]) => a.at - b.at)) {
      if (timer.at > this.now) break;
      this.due.delete(id);
      timer.fire();
    }
    await settle();
  }
}

/** Lets every promise callback already queued run (no wall-clock wait). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A round the test ends by hand, to look at the job while it runs. */
function gatedRounds() {
  const gates: (() => void)[] = [];
  let running = 0;
  let most = 0;
  let count = 0;
  const round = async () => {
    count += 1;
    running += 1;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running -= 1;
    return count;
  };
  return {
    round,
    openNext: async () => {
      await settle();
      gates.shift()?.();
      await settle();
    },
    get count() {
      return count;
    },
    get most() {
      return most;
    },
  };
}

test('runOnce runs one round and answers with its result; a round asked for during one starts after it', async () => {
  const rounds = gatedRounds();
  const job = new PeriodicJob({
    name: 'test',
    round: rounds.round,
    intervalMs: 0,
    logger: new LogTap().logger,
  });
  const first = job.runOnce();
  const second = job.runOnce();
  await settle();
  expect(rounds.count).toBe(1);
  await rounds.openNext();
  expect(await first).toBe(1);
  expect(rounds.count).toBe(2);
  await rounds.openNext();
  expect(await second).toBe(2);
  expect(rounds.most).toBe(1);
});

test('timed rounds come every intervalMs of the injected clock, the next only after the previous ended', async () => {
  const timers = new ManualTimers();
  const rounds = gatedRounds();
  const job = new PeriodicJob({
    name: 'test',
    round: rounds.round,
    intervalMs: 1000,
    logger: new LogTap().logger,
    timers,
  });
  job.start();
  await timers.advance(999);
  expect(rounds.count).toBe(0);
  await timers.advance(1);
  expect(rounds.count).toBe(1);
  // A slow round: no timer runs meanwhile, however far the clock moves.
  expect(timers.pending).toBe(0);
  await timers.advance(5000);
  expect(rounds.count).toBe(1);
  await rounds.openNext();
  await timers.advance(1000);
  expect(rounds.count).toBe(2);
  expect(rounds.most).toBe(1);
  const stopped = job.stop();
  await rounds.openNext();
  await stopped;
  await timers.advance(10_000);
  expect(rounds.count).toBe(2);
});

test('a failed timed round is logged and the next one still comes', async () => {
  const timers = new ManualTimers();
  const tap = new LogTap();
  let calls = 0;
  const round = async () => {
    calls += 1;
    if (calls === 1) throw new Error('database down');
    return calls;
  };
  const job = new PeriodicJob({
    name: 'sweeper',
    round,
    intervalMs: 100,
    logger: tap.logger,
    timers,
  }).start();
  await timers.advance(100);
  expect(tap.matching('sweeper round failed; the next round retries', { job: 'sweeper' })).toHaveLength(1);
  await timers.advance(100);
  expect(calls).toBe(2);
  await job.stop();
});

test('nudges close together share one round; a nudge during a round brings exactly one more after it', async () => {
  const timers = new ManualTimers();
  const rounds = gatedRounds();
  const job = new PeriodicJob({
    name: 'relay',
    round: rounds.round,
    intervalMs: 0,
    logger: new LogTap().logger,
    timers,
  });
  job.nudge(20);
  job.nudge(20);
  await timers.advance(19);
  expect(rounds.count).toBe(0);
  await timers.advance(1);
  expect(rounds.count).toBe(1);
  job.nudge(20);
  job.nudge(20);
  expect(timers.pending).toBe(0); // the round in progress is the wait: no linger after it
  await rounds.openNext();
  expect(rounds.count).toBe(2);
  await rounds.openNext();
  expect(rounds.count).toBe(2);
  expect(rounds.most).toBe(1);
  await job.stop();
});

test('stop waits for the round in progress; after it a nudge does nothing and runOnce still works', async () => {
  const timers = new ManualTimers();
  const rounds = gatedRounds();
  const job = new PeriodicJob({
    name: 'relay',
    round: rounds.round,
    intervalMs: 0,
    logger: new LogTap().logger,
    timers,
  });
  const running = job.runOnce();
  await settle();
  let stopped = false;
  const stopping = job.stop().then(() => (stopped = true));
  await settle();
  expect(stopped).toBe(false);
  await rounds.openNext();
  await stopping;
  expect(await running).toBe(1);
  job.nudge(20);
  await timers.advance(100);
  expect(rounds.count).toBe(1);
  const last = job.runOnce();
  await rounds.openNext();
  expect(await last).toBe(2);
});
