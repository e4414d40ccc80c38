import { silentLogger } from '@trx/logging';
import type { CoordinatorApi, OutcomeBatchRequest, OutcomeBatchResponse } from '@trx/protocol';
import { OutcomeBatcher, type OutcomeAck } from '../src/outcome-batcher';

/** A coordinator whose recordOutcomes answers only when the test says so. */
function slowCoordinator() {
  const calls: { request: OutcomeBatchRequest; answer(error?: Error): void }[] = [];
  const api = {
    recordOutcomes: (request: OutcomeBatchRequest) =>
      new Promise<OutcomeBatchResponse>((resolve, reject) => {
        const answer = (error?: Error) =>
          error ? reject(error) : resolve({ recorded: request.outcomes.length, rejected: [] });
        calls.push({ request, answer });
      }),
  } as unknown as CoordinatorApi;
  const inFlight = () => calls.length;
  return { api, calls, inFlight };
}

const ack = (n: number): OutcomeAck => ({
  transactionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  gid: `trx:test:${n}`,
  outcome: 'committed',
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

function unavailable(): Error {
  return Object.assign(new Error('no answer'), { name: 'CoordinatorUnavailableError' });
}

describe('acknowledging outcomes', () => {
  it('when acknowledgements arrive while a call is out, then they go together in the next call, one call at a time', async () => {
    const c = slowCoordinator();
    const batcher = new OutcomeBatcher({ coordinator: c.api, logger: silentLogger() });
    batcher.add(ack(1));
    await settle();
    expect(c.calls.map((x) => x.request.outcomes.length)).toEqual([1]); // no waiting on an idle system
    for (let i = 2; i <= 6; i++) batcher.add(ack(i));
    await settle();
    expect(c.inFlight()).toBe(1); // still only the first call
    c.calls[0]!.answer();
    await settle();
    expect(c.calls.map((x) => x.request.outcomes.map((o) => o.gid))).toEqual([
      ['trx:test:1'],
      ['trx:test:2', 'trx:test:3', 'trx:test:4', 'trx:test:5', 'trx:test:6'],
    ]);
    c.calls[1]!.answer();
    await batcher.flush();
  });

  it('when more are queued than one call may carry, then they are split', async () => {
    const c = slowCoordinator();
    const batcher = new OutcomeBatcher({ coordinator: c.api, logger: silentLogger(), maxBatch: 2 });
    for (let i = 1; i <= 5; i++) batcher.add(ack(i));
    const flushed = batcher.flush();
    for (let i = 0; i < 3; i++) {
      await settle();
      c.calls[i]!.answer();
    }
    await flushed;
    expect(c.calls.map((x) => x.request.outcomes.length)).toEqual([2, 2, 1]);
  });

  it('when a call fails for want of a coordinator, then its acknowledgements are retried once, then dropped', async () => {
    const c = slowCoordinator();
    const sent: { failed: number }[] = [];
    const batcher = new OutcomeBatcher({
      coordinator: c.api,
      logger: silentLogger(),
      onSent: (report) => sent.push(report),
    });
    batcher.add(ack(1));
    await settle();
    batcher.add(ack(2));
    c.calls[0]!.answer(unavailable());
    await settle();
    expect(c.calls[1]!.request.outcomes.map((o) => o.gid)).toEqual(['trx:test:2', 'trx:test:1']);
    c.calls[1]!.answer(unavailable());
    await settle();
    expect(c.calls[2]!.request.outcomes.map((o) => o.gid)).toEqual(['trx:test:2']);
    c.calls[2]!.answer(unavailable());
    await batcher.flush();
    expect(c.calls).toHaveLength(3);
    expect(sent.map((r) => r.failed)).toEqual([0, 1, 1]);
  });

  it('when the coordinator refuses the request itself, then it is not retried', async () => {
    const c = slowCoordinator();
    const batcher = new OutcomeBatcher({ coordinator: c.api, logger: silentLogger() });
    batcher.add(ack(1));
    await settle();
    c.calls[0]!.answer(Object.assign(new Error('bad'), { name: 'InvalidRequestError' }));
    await batcher.flush();
    expect(c.calls).toHaveLength(1);
  });
});

describe('acknowledging outcomes with a linger', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('when acknowledgements keep coming, then each call waits the linger after the one before, not only the first', async () => {
    const c = slowCoordinator();
    const batcher = new OutcomeBatcher({ coordinator: c.api, logger: silentLogger(), lingerMs: 1000 });
    batcher.add(ack(1));
    await settle();
    expect(c.inFlight()).toBe(0); // the first waits for company
    jest.advanceTimersByTime(1000);
    await settle();
    expect(c.calls.map((x) => x.request.outcomes.length)).toEqual([1]);
    for (let i = 2; i <= 4; i++) batcher.add(ack(i));
    c.calls[0]!.answer();
    await settle();
    await settle();
    expect(c.inFlight()).toBe(1); // the call came back: the next one still lingers
    batcher.add(ack(5));
    jest.advanceTimersByTime(999);
    await settle();
    expect(c.inFlight()).toBe(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(c.calls.map((x) => x.request.outcomes.map((o) => o.gid))).toEqual([
      ['trx:test:1'],
      ['trx:test:2', 'trx:test:3', 'trx:test:4', 'trx:test:5'],
    ]);
    c.calls[1]!.answer();
    await batcher.flush();
  });

  it('when a full batch is waiting, then it goes without lingering', async () => {
    const c = slowCoordinator();
    const batcher = new OutcomeBatcher({
      coordinator: c.api,
      logger: silentLogger(),
      lingerMs: 1000,
      maxBatch: 3,
    });
    batcher.add(ack(1));
    batcher.add(ack(2));
    await settle();
    expect(c.inFlight()).toBe(0);
    batcher.add(ack(3));
    await settle();
    await settle();
    expect(c.calls.map((x) => x.request.outcomes.length)).toEqual([3]);
    c.calls[0]!.answer();
    await batcher.flush();
  });

  it('when flushed, then what is queued goes at once', async () => {
    const c = slowCoordinator();
    const batcher = new OutcomeBatcher({ coordinator: c.api, logger: silentLogger(), lingerMs: 60_000 });
    batcher.add(ack(1));
    await settle();
    const flushed = batcher.flush();
    await settle();
    await settle();
    expect(c.calls.map((x) => x.request.outcomes.length)).toEqual([1]);
    c.calls[0]!.answer();
    await flushed;
  });
});
