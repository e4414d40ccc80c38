import { silentLogger } from '@trx/logging';
import { makeGid, type Decision, type DecisionEntry } from '@trx/protocol';
import { BranchBusyError, type FinishResult } from '../src/branch-finisher';
import { decisionHandler, type DecisionConsumerOptions } from '../src/decision-consumer';
import type { BranchIds } from '../src/finishing-branches';
import type { DeadLetterMessage, DecisionMessage } from '../src/ports';

const service = 'account-service';
const tx = (n: number) => `01930000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const entry = (n: number, decision: Decision = 'commit'): DecisionEntry => ({
  transactionId: tx(n),
  decision,
  branches: [{ branchId: `b${n}`, gid: makeGid(service, tx(n), 'k') }],
});
const message = (decisions: unknown[]): DecisionMessage => ({
  routingKey: `decision.${service}`,
  messageId: 'batch-1',
  body: { messageId: 'batch-1', type: 'decisions', occurredAt: '', service, decisions },
  redelivered: false,
  userId: 'trx-coordinator',
});

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A handler over fakes: `fail` decides, per transaction id, what finishing throws. */
function handlerWith(fail: (ids: BranchIds) => Error | undefined = () => undefined) {
  const finished: string[] = [];
  const letters: DeadLetterMessage[] = [];
  const rejected: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  let deadLetterFails = false;
  const options: DecisionConsumerOptions = {
    service,
    coordinatorUser: 'trx-coordinator',
    logger: silentLogger(),
    retryDelayMs: 1,
    signal: new AbortController().signal,
    branches: {
      finish: async (ids: BranchIds): Promise<FinishResult> => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        const err = fail(ids);
        if (err) throw err;
        finished.push(ids.transactionId);
        return { outcome: 'committed', changed: true };
      },
    },
    broker: {
      deadLetter: async (messages) => {
        if (deadLetterFails) throw new Error('broker away');
        letters.push(...messages);
      },
    },
    onRejected: (reason) => rejected.push(reason),
  };
  return {
    handle: decisionHandler(options),
    finished,
    letters,
    rejected,
    mostAtOnce: () => mostAtOnce,
    breakDeadLetter: () => (deadLetterFails = true),
  };
}

describe('handling a decision batch', () => {
  it('finishes every entry, at most 8 branches at once, and acks', async () => {
    const t = handlerWith();
    const entries = Array.from({ length: 30 }, (_, i) => entry(i));
    expect(await t.handle(message(entries))).toBe('ack');
    expect(t.finished.sort()).toEqual(entries.map((e) => e.transactionId).sort());
    expect(t.mostAtOnce()).toBe(8);
    expect(t.letters).toEqual([]);
  });

  it('dead-letters an entry that fails for good on its own, finishes the rest and acks', async () => {
    const t = handlerWith((ids) => (ids.transactionId === tx(2) ? new Error('disk full') : undefined));
    expect(await t.handle(message([entry(1), entry(2), entry(3)]))).toBe('ack');
    expect(t.finished.sort()).toEqual([tx(1), tx(3)]);
    expect(t.letters.map((l) => l.body)).toEqual([
      { reason: 'finish-failed', service, sourceMessageId: 'batch-1', entry: entry(2) },
    ]);
    expect(t.letters[0]!.messageId).not.toBe('batch-1');
    expect(t.rejected).toEqual(['finish-failed']);
  });

  it.each([
    [
      'the database does not accept connections',
      pgError('55000', 'database "x" is not currently accepting connections'),
    ],
    [
      'the database is shutting down',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['the statement was cancelled', pgError('57014', 'canceling statement due to statement timeout')],
  ])('requeues the whole message when %s', async (_, err) => {
    const t = handlerWith((ids) => (ids.transactionId === tx(2) ? err : undefined));
    expect(await t.handle(message([entry(1), entry(2)]))).toBe('requeue');
    expect(t.letters).toEqual([]);
  });

  it('dead-letters the entry when the database refuses the statement itself', async () => {
    const t = handlerWith((ids) =>
      ids.transactionId === tx(2)
        ? pgError('42501', 'permission denied to finish prepared transaction')
        : undefined,
    );
    expect(await t.handle(message([entry(1), entry(2)]))).toBe('ack');
    expect(t.rejected).toEqual(['finish-failed']);
  });

  it('requeues the whole message when a branch is busy, and parks no entry yet', async () => {
    const t = handlerWith((ids) => (ids.transactionId === tx(1) ? new BranchBusyError(ids.gid) : undefined));
    const poison = { ...entry(9), transactionId: tx(8) };
    expect(await t.handle(message([entry(1), poison]))).toBe('requeue');
    expect(t.letters).toEqual([]);
    expect(t.rejected).toEqual([]);
  });

  it('requeues the message when its poison entry could not be dead-lettered', async () => {
    const t = handlerWith();
    t.breakDeadLetter();
    const poison = { ...entry(9), transactionId: tx(8) };
    expect(await t.handle(message([entry(1), poison]))).toBe('requeue');
    expect(t.finished).toEqual([tx(1)]);
    expect(t.rejected).toEqual([]);
  });
});
