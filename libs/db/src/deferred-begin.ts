import * as pg from 'pg';
import type { CustomTypesConfig, QueryConfig, QueryResult } from 'pg';
import { Pipeline, type PipelinedStatement } from './pipeline';

/**
 * A pg Client that sends a transaction's BEGIN in the same write as the transaction's first
 * statement, instead of a round trip of its own.
 *
 * On this kind of machine a socket write that wakes another process is the unit of cost, and
 * every branch and every local transaction opened with a BEGIN that Postgres answered before
 * the first statement could go: one write and one wake-up of each side per transaction.
 *
 * `START TRANSACTION` / `BEGIN` (exactly that text, no parameters: what TypeORM's
 * `startTransaction` and our runners send) is answered at once and held. The next statement:
 * - with parameters (the extended protocol) goes out with BEGIN as a pipeline of two statements
 *   (see pipeline.ts): one write and one Sync; Postgres answers both at once;
 * - without parameters (the simple protocol, e.g. a multi-statement closing message) is sent
 *   after the held BEGIN as two statements, as before.
 * A held BEGIN that nothing followed (the connection goes back to the pool) is dropped: nothing
 * was sent, so there is nothing to roll back.
 *
 * What Postgres sees is the same transaction: an explicit BEGIN, then the statement. If the
 * statement fails, the transaction is left aborted exactly as before and the caller's
 * ROLLBACK ends it.
 */
export class DeferredBeginClient extends pg.Client {
  private heldBegin: string | undefined;

  /** Drops a held BEGIN: the connection is being handed to somebody else. */
  dropHeldBegin(): void {
    this.heldBegin = undefined;
  }

  // pg's query() has a dozen overloads; this one entry point serves them all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    if (isBegin(config, values, callback) && this.heldBegin === undefined) {
      this.heldBegin = config;
      return Promise.resolve(BEGUN);
    }
    const begin = this.heldBegin;
    if (begin === undefined) return super.query(config, values, callback);
    this.heldBegin = undefined;
    const statement = extendedStatement(config, values, callback);
    if (!statement) {
      // The simple protocol answers each Query message with its own ReadyForQuery: two round trips, as without the hold.
      const begun: Promise<unknown> = super.query(begin);
      begun.catch(() => undefined); // its failure is the statement's too: the connection is gone
      return super.query(config, values, callback);
    }
    // BEGIN's answer is not the statement's: only the statement's result is passed on.
    return new Promise<QueryResult>((resolve, reject) => {
      const pipeline = new Pipeline([{ text: begin }, statement], this.clientTypes(), (err, results) =>
        err ? reject(err) : resolve(results![1]!),
      );
      super.query(pipeline);
    });
  }

  private clientTypes() {
    return { getTypeParser: this.getTypeParser.bind(this) } as CustomTypesConfig;
  }
}

const BEGUN: QueryResult = { command: 'BEGIN', rowCount: null, oid: 0, rows: [], fields: [] };

const BEGIN_TEXTS = new Set(['START TRANSACTION', 'BEGIN']);

function isBegin(config: unknown, values: unknown, callback: unknown): config is string {
  return (
    typeof config === 'string' && BEGIN_TEXTS.has(config) && values === undefined && callback === undefined
  );
}

/** The statement when pg would send it with the extended protocol (it has parameters), else undefined. */
function extendedStatement(
  config: unknown,
  values: unknown,
  callback: unknown,
): PipelinedStatement | undefined {
  if (callback !== undefined || typeof values === 'function') return undefined;
  if (typeof config === 'string') {
    return Array.isArray(values) && values.length > 0 ? { text: config, values } : undefined;
  }
  if (typeof config !== 'object' || config === null || 'submit' in config) return undefined;
  const c = config as QueryConfig & { rowMode?: string; name?: string };
  const params = Array.isArray(values) ? values : c.values;
  // Named statements, row arrays and cursors keep pg's own path.
  if (c.name || c.rowMode || !Array.isArray(params) || params.length === 0) return undefined;
  return { text: c.text, values: params, types: c.types };
}
