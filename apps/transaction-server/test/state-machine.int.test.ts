import { Pool } from 'pg';
import { runMigrationsLocked } from '@trx/db';
import {
  BRANCH_ENTRIES,
  BRANCH_STATUSES,
  BRANCH_TRANSITIONS,
  canEnter,
  canTransition,
  TRANSACTION_STATUSES,
  TRANSACTION_TRANSITIONS,
  uuidv7,
  type BranchStatus,
  type TransactionStatus,
} from '@trx/protocol';
import { createTestDatabase, dropTestDatabase, queryDatabase } from '@trx/test-support';
import { createDataSource, findBranches, findTransaction, type BranchRecord } from '../src/data-access';
import {
  createBranch,
  transitionBranch,
  transitionBranchesToOutcome,
  transitionTransaction,
} from '../src/domain/state-machine';

/**
 * Every status write against the transition tables, on a real database: each pair the
 * table allows is written, each it refuses throws `invalid-…-transition` and leaves the row
 * as it was.
 */
let dbUrl: string;
let pool: Pool;

beforeAll(async () => {
  dbUrl = await createTestDatabase('trx_state_machine_test');
  const dataSource = createDataSource(dbUrl, 2, 5000);
  await dataSource.initialize();
  await runMigrationsLocked(dataSource);
  await dataSource.destroy();
  pool = new Pool({ connectionString: dbUrl, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await dropTestDatabase(dbUrl);
});

async function transactionIn(status: TransactionStatus): Promise<string> {
  const id = uuidv7();
  await queryDatabase(
    dbUrl,
    `INSERT INTO trx_transaction (id, status, initiator, timeout_ms, deadline, created_at, updated_at)
     VALUES ($1, $2, 'test', 60000, now() + interval '1 minute', now(), now())`,
    [id, status],
  );
  return id;
}

function newBranch(transactionId: string, status: BranchStatus): BranchRecord {
  const now = new Date();
  return {
    id: uuidv7(),
    transactionId,
    service: 'account',
    instance: 'a1',
    gid: `trx:account:${transactionId}:${uuidv7().slice(-8)}`,
    status,
    reason: null,
    finishedByCaller: false,
    createdAt: now,
    updatedAt: now,
  };
}

async function branchIn(status: BranchStatus, transactionStatus: TransactionStatus = 'active') {
  const transactionId = await transactionIn(transactionStatus);
  const b = newBranch(transactionId, status);
  await queryDatabase(
    dbUrl,
    `INSERT INTO trx_branch (id, transaction_id, service, instance, gid, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now(), now())`,
    [b.id, b.transactionId, b.service, b.instance, b.gid, b.status],
  );
  return b;
}

const pairs = <S extends string>(statuses: readonly S[]): [S, S][] =>
  statuses.flatMap((from) => statuses.map((to): [S, S] => [from, to]));

describe('a transaction status', () => {
  test.each(pairs(TRANSACTION_STATUSES))(
    'from %s to %s is written exactly when the table allows it',
    async (from, to) => {
      const id = await transactionIn(from);
      const t = (await findTransaction(pool, id))!;
      const write = transitionTransaction(pool, t, to, new Date());
      if (canTransition(TRANSACTION_TRANSITIONS, from, to)) {
        expect((await write)?.status).toBe(to);
      } else {
        await expect(write).rejects.toMatchObject({
          name: 'TransactionConflictError',
          code: 'invalid-transaction-transition',
          status: from,
        });
        expect((await findTransaction(pool, id))?.status).toBe(from);
      }
    },
  );
});

describe('a branch status', () => {
  test.each(pairs(BRANCH_STATUSES))(
    'from %s to %s is written exactly when the table allows it',
    async (from, to) => {
      const b = await branchIn(from);
      const write = transitionBranch(pool, b, to, new Date());
      if (canTransition(BRANCH_TRANSITIONS, from, to)) {
        expect((await write)?.status).toBe(to);
      } else {
        await expect(write).rejects.toMatchObject({ code: 'invalid-branch-transition', status: from });
        expect((await findBranches(pool, b.transactionId)).map((x) => x.status)).toEqual([from]);
      }
    },
  );

  test.each(BRANCH_STATUSES)(
    'acknowledged committed from %s in one statement only when the table allows it',
    async (from) => {
      const b = await branchIn(from, 'committing');
      await queryDatabase(dbUrl, `UPDATE trx_transaction SET decision = 'commit' WHERE id = $1`, [
        b.transactionId,
      ]);
      const now = new Date();
      const [after] = await transitionBranchesToOutcome(
        pool,
        [{ transactionId: b.transactionId, gid: b.gid, outcome: 'committed' }],
        [b.transactionId],
        now,
      );
      const allowed = canTransition(BRANCH_TRANSITIONS, from, 'committed') || from === 'committed';
      expect(after?.status).toBe(allowed ? 'committed' : from);
    },
  );

  test.each(BRANCH_STATUSES)(
    'registered as %s only when the entry table lets a registration start there',
    async (status) => {
      const transactionId = await transactionIn('active');
      const write = createBranch(pool, newBranch(transactionId, status));
      if (canEnter(BRANCH_ENTRIES, 'registration', status)) {
        expect((await write)?.status).toBe(status);
      } else {
        await expect(write).rejects.toMatchObject({ code: 'invalid-branch-entry' });
        expect(await findBranches(pool, transactionId)).toEqual([]);
      }
    },
  );
});
