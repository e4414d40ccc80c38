import { createLogger } from '@trx/logging';
import { finishBranch } from '../src/branch-finisher';
import type { Queryable } from '../src/branch-sql';

const ids = { transactionId: '00000000-0000-4000-8000-000000000001', gid: 'trx:account-service:x:1' };

/** An error as pg reports it, to test its classification (the busy state can't be held on demand). */
function failingWith(code: string, message: string): Queryable {
  const err = Object.assign(new Error(message), { code });
  return { query: async () => Promise.reject(err) };
}

describe('finishing a branch', () => {
  it('when another session is committing the same gid (Postgres says 55000 "is busy"), then it is a BranchBusyError', async () => {
    const db = failingWith('55000', `prepared transaction with identifier "${ids.gid}" is busy`);
    await expect(
      finishBranch(db, createLogger({ service: 'test', level: 'silent' }), ids, 'commit'),
    ).rejects.toMatchObject({
      name: 'BranchBusyError',
    });
  });

  it('when the database is not accepting connections (also 55000), then the error is not mistaken for busy', async () => {
    const db = failingWith('55000', 'database "x" is not currently accepting connections');
    await expect(
      finishBranch(db, createLogger({ service: 'test', level: 'silent' }), ids, 'commit'),
    ).rejects.not.toMatchObject({
      name: 'BranchBusyError',
    });
  });
});
