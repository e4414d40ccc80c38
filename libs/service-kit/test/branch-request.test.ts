import type { Request, Response } from 'express';
import type { EntityManager } from 'typeorm';
import { BRANCH_HEADER, ENLIST_HEADER, INITIATOR_HEADER, TRANSACTION_HEADER } from '@trx/protocol';
import type { BranchOptions } from '@trx/participant';
import { answerFor, branchRequestOf, runForRequest, type BranchRunner } from '../src';

const TX = '6f1c1d3e-4b7a-4d2e-9a51-0c2b8e7f4a10';

function request(headers: Record<string, string>): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

function response() {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => void (headers[name] = value),
    once: () => res,
    writableFinished: true,
  };
  return { res: res as unknown as Response, headers };
}

/** A runtime that records how it was asked to run, and prepares as gid `trx:test:<tx>:1`. */
function recordingRunner() {
  const runs: { transactionId: string | undefined; options: BranchOptions | undefined }[] = [];
  const runner: BranchRunner = {
    run: async <T>(
      transactionId: string | undefined,
      work: (m: EntityManager) => Promise<T>,
      options?: BranchOptions,
    ) => {
      runs.push({ transactionId, options });
      const result = await work({} as EntityManager);
      options?.onPrepared?.(`trx:test:${transactionId}:1`);
      return result;
    },
    abandon: async () => undefined,
  };
  return { runner, runs };
}

describe('the transaction headers of a request', () => {
  it('without them, the work commits locally', () => {
    expect(branchRequestOf(request({}))).toEqual({
      transactionId: undefined,
      enlistedByCaller: false,
      initiator: undefined,
    });
  });

  it('with a transaction id (and its initiator), the branch registers itself, naming the initiator', () => {
    expect(
      branchRequestOf(request({ [TRANSACTION_HEADER]: TX, [INITIATOR_HEADER]: 'order-service' })),
    ).toEqual({
      transactionId: TX,
      enlistedByCaller: false,
      initiator: 'order-service',
    });
  });

  it('with x-transaction-enlist: initiator, the caller enlists the branch', () => {
    const req = request({ [TRANSACTION_HEADER]: TX, [ENLIST_HEADER]: ' initiator ' });
    expect(branchRequestOf(req)).toEqual({ transactionId: TX, enlistedByCaller: true, initiator: undefined });
  });

  it('with another enlist value, an enlist without a transaction, or an initiator that is no service name, the request is invalid (400)', () => {
    for (const headers of <Record<string, string>[]>[
      { [TRANSACTION_HEADER]: TX, [ENLIST_HEADER]: 'coordinator' },
      { [ENLIST_HEADER]: 'initiator' },
      { [TRANSACTION_HEADER]: TX, [INITIATOR_HEADER]: 'Not A Service!' },
    ]) {
      let thrown: unknown;
      try {
        branchRequestOf(request(headers));
      } catch (err) {
        thrown = err;
      }
      expect(answerFor(thrown)).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
    }
  });
});

describe('running the work of a request', () => {
  it('when the caller enlists the branch, then the gid is set in x-transaction-branch', async () => {
    const { runner, runs } = recordingRunner();
    const { res, headers } = response();
    const req = request({ [TRANSACTION_HEADER]: TX, [ENLIST_HEADER]: 'initiator' });
    const result = await runForRequest(runner, req, res, async (_m, txId) => `work in ${txId}`);
    expect(result).toBe(`work in ${TX}`);
    expect(runs[0]).toMatchObject({ transactionId: TX, options: { enlistedByCaller: true } });
    expect(headers).toEqual({ [BRANCH_HEADER]: `trx:test:${TX}:1` });
  });

  it('when the branch registers itself, or there is no transaction, then no branch header is set', async () => {
    const { runner, runs } = recordingRunner();
    for (const headers of <Record<string, string>[]>[{ [TRANSACTION_HEADER]: TX }, {}]) {
      const { res, headers: answered } = response();
      await runForRequest(runner, request(headers), res, async (_m, txId) => txId);
      expect(answered).toEqual({});
    }
    expect(runs.map((r) => [r.transactionId, r.options])).toEqual([
      [TX, { initiator: undefined }],
      [undefined, { initiator: undefined }],
    ]);
  });

  it('when the enlist header is invalid, then nothing runs', async () => {
    const { runner, runs } = recordingRunner();
    const req = request({ [TRANSACTION_HEADER]: TX, [ENLIST_HEADER]: 'yes' });
    await expect(runForRequest(runner, req, response().res, async () => 1)).rejects.toMatchObject({
      name: 'InvalidRequestError',
    });
    expect(runs).toEqual([]);
  });
});

describe('an enlisted branch whose request already got its deadline answer', () => {
  it('is rolled back once prepared instead of handing out a gid nobody can enlist', async () => {
    const abandoned: string[] = [];
    const runner: BranchRunner = {
      run: async <T>(
        _tx: string | undefined,
        work: (m: EntityManager) => Promise<T>,
        options?: BranchOptions,
      ) => {
        const result = await work({} as EntityManager);
        options?.onPrepared?.(`trx:test:${TX}:1`);
        return result;
      },
      abandon: async (_tx, gid) => void abandoned.push(gid),
    };
    const headers: Record<string, string> = {};
    const res = {
      headersSent: true, // the deadline's 503 went out while the work ran
      setHeader: (name: string, value: string) => void (headers[name] = value),
      once: () => res,
      writableFinished: true,
    } as unknown as Response;
    const req = request({ [TRANSACTION_HEADER]: TX, [ENLIST_HEADER]: 'initiator' });
    await expect(runForRequest(runner, req, res, async () => 'done')).rejects.toMatchObject({
      name: 'CallerGoneError',
    });
    expect(abandoned).toEqual([`trx:test:${TX}:1`]);
    expect(headers).toEqual({});
  });
});
