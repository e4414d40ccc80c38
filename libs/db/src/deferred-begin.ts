import * as pg from 'pg';
import type { Connection, FieldDef, QueryConfig, QueryResult } from 'pg';
import type { PgMessageHandlers } from './pipeline';
import { StatementNames, isStalePlan } from './statement-names';

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
 * - with parameters (the extended protocol) goes out as BEGIN's Parse/Bind/Execute followed by
 *   the statement's own messages and one Sync, in one write; Postgres answers both at once;
 * - without parameters (the simple protocol, e.g. a multi-statement closing message) is sent
 *   after the held BEGIN as two statements, as before.
 * A held BEGIN that nothing followed (the connection goes back to the pool) is dropped: nothing
 * was sent, so there is nothing to roll back.
 *
 * What Postgres sees is the same transaction: an explicit BEGIN, then the statement. If the
 * statement fails, the transaction is left aborted exactly as before and the caller's
 * ROLLBACK ends it.
 *
 * It also runs a parameterized statement it has seen before as a named statement
 * (StatementNames), so Postgres parses and plans it once per connection, not on every run.
 */
export class DeferredBeginClient extends pg.Client {
  private heldBegin: string | undefined;
  /** This connection's names for its repeated statements (a pipeline's use them too). */
  readonly statementNames = new StatementNames();

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
    this.heldBegin = undefined;
    const statement = extendedStatement(config, values, callback);
    if (!statement) {
      if (begin === undefined) return super.query(config, values, callback);
      // The simple protocol answers each Query message with its own ReadyForQuery: two round trips, as without the hold.
      const begun: Promise<unknown> = super.query(begin);
      begun.catch(() => undefined); // its failure is the statement's too: the connection is gone
      return super.query(config, values, callback);
    }
    const named = { ...statement, name: this.statementNames.nameFor(statement.text) };
    const ran: Promise<QueryResult> = begin === undefined ? super.query(named) : this.beginThen(begin, named);
    return ran.catch((err: unknown) => {
      if (named.name !== undefined && isStalePlan(err)) this.statementNames.forget(named.text);
      throw err;
    });
  }

  private beginThen(begin: string, statement: QueryConfig): Promise<QueryResult> {
    return new Promise<QueryResult>((resolve, reject) => {
      const query = new pg.Query(
        { ...statement, types: statement.types ?? this.clientTypes() },
        (err: Error | undefined, result: unknown) => (err ? reject(err) : resolve(result as QueryResult)),
      );
      super.query(new BeginThen(begin, query as unknown as PgMessageHandlers));
    });
  }

  private clientTypes() {
    return { getTypeParser: this.getTypeParser.bind(this) } as QueryConfig['types'];
  }
}

const BEGUN: QueryResult = { command: 'BEGIN', rowCount: null, oid: 0, rows: [], fields: [] };

const BEGIN_TEXTS = new Set(['START TRANSACTION', 'BEGIN']);

function isBegin(config: unknown, values: unknown, callback: unknown): config is string {
  return (
    typeof config === 'string' && BEGIN_TEXTS.has(config) && values === undefined && callback === undefined
  );
}

/** The statement as a QueryConfig when pg would send it with the extended protocol (it has parameters), else undefined. */
function extendedStatement(config: unknown, values: unknown, callback: unknown): QueryConfig | undefined {
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

/**
 * BEGIN's Parse/Bind/Execute, then the statement's messages (pg's own Query, which ends with
 * Sync), corked into one write. Postgres answers BEGIN's CommandComplete first; it is not the
 * statement's, so it is not passed on. pg's own Query, not pipeline.ts's Pipeline: pg records a
 * named statement as parsed by the query it waits for at each ParseComplete, which the
 * `name`/`text` getters below steer; the Pipeline keeps that record itself (recordNames).
 */
class BeginThen implements PgMessageHandlers {
  private begun = false;

  constructor(
    private readonly begin: string,
    private readonly statement: PgMessageHandlers & { name?: string; text?: string },
  ) {}

  /**
   * pg's Client records a named statement as parsed, by the name and text of the query it
   * waits for, at each ParseComplete: BEGIN's comes first and must not count.
   */
  get name(): string | undefined {
    return this.begun ? this.statement.name : undefined;
  }
  get text(): string | undefined {
    return this.begun ? this.statement.text : undefined;
  }

  submit(connection: Connection) {
    connection.stream.cork();
    try {
      connection.parse({ text: this.begin, name: '', types: [] }, false);
      connection.bind({}, false);
      connection.execute({}, false);
      return this.statement.submit(connection);
    } finally {
      connection.stream.uncork();
    }
  }

  handleCommandComplete(msg: unknown, connection: Connection) {
    if (!this.begun) {
      this.begun = true;
      return;
    }
    this.statement.handleCommandComplete(msg, connection);
  }

  handleRowDescription(msg: { fields: FieldDef[] }) {
    this.statement.handleRowDescription(msg);
  }
  handleDataRow(msg: { fields: unknown[] }) {
    this.statement.handleDataRow(msg);
  }
  handleEmptyQuery(connection: Connection) {
    this.statement.handleEmptyQuery(connection);
  }
  handleError(err: Error, connection: Connection) {
    this.statement.handleError(err, connection);
  }
  handleReadyForQuery(connection: Connection) {
    this.statement.handleReadyForQuery(connection);
  }
  handlePortalSuspended(connection: Connection) {
    this.statement.handlePortalSuspended(connection);
  }
  handleCopyInResponse(connection: Connection) {
    this.statement.handleCopyInResponse(connection);
  }
  handleCopyData(msg: unknown, connection: Connection) {
    this.statement.handleCopyData(msg, connection);
  }
}
