import * as pg from 'pg';
import type { ClientBase, Connection, CustomTypesConfig, FieldDef, QueryResult } from 'pg';
import { DeferredBeginClient } from './deferred-begin';
import { isStalePlan, type StatementNames } from './statement-names';

/**
 * Statements sent in one write and answered at once: each statement's Parse, Bind, Describe
 * and Execute (the extended protocol), then one Sync.
 *
 * On this kind of machine a socket write that wakes another process is the unit of cost: a
 * transaction whose statements are known before the first is sent (BEGIN, the work, the
 * closing statements) costs one round trip instead of one per statement.
 *
 * One Sync means one unit of failure: when a statement fails, Postgres skips every message up
 * to the Sync, so nothing after it runs, and the pipeline reports that error alone. A
 * transaction the statements opened is then left as a failed statement leaves it (aborted, or
 * already rolled back when PREPARE TRANSACTION itself failed): the caller ends it, as it would.
 * Statements without an explicit BEGIN run in one implicit transaction that the Sync commits.
 *
 * @example
 *   const [, inserted] = await queryPipelined(client, [
 *     { text: 'BEGIN' },
 *     { text: 'INSERT INTO item VALUES ($1, $2) RETURNING name', values: [1, 'a'] },
 *     { text: 'COMMIT' },
 *   ]);
 */
export async function queryPipelined(
  client: ClientBase,
  statements: readonly PipelinedStatement[],
): Promise<QueryResult[]> {
  const types = { getTypeParser: client.getTypeParser.bind(client) } as CustomTypesConfig;
  // A connection of pgDriver() names its repeated statements: the pipeline's too.
  const naming = client instanceof DeferredBeginClient ? client.statementNames : undefined;
  return new Promise((resolve, reject) => {
    client.query(
      new Pipeline(statements, types, (err, results) => (err ? reject(err) : resolve(results!)), naming),
    );
  });
}

/** Which statements a connection runs under a name (StatementNames); without one, every statement goes unnamed. */
export type StatementNaming = Pick<StatementNames, 'nameFor' | 'forget'>;

/** How one statement of a pipeline goes out: under which name (empty: unnamed), and whether it is parsed now. */
interface Sending {
  name: string;
  parse: boolean;
}

/** One statement of a pipeline; without values it still goes out as Parse/Bind/Execute. */
export interface PipelinedStatement {
  text: string;
  /** Its parameters, converted as pg converts a query's. None for utility statements (PREPARE TRANSACTION takes none). */
  values?: readonly unknown[];
  /** Parsers of its rows' columns; default the pipeline's (for queryPipelined, the client's). */
  types?: CustomTypesConfig;
}

export type PipelineCallback = (err: Error | undefined, results?: QueryResult[]) => void;

/**
 * The message handlers pg's Client calls on the query it is waiting for (the Submittable
 * protocol that pg-cursor and pg-query-stream implement too).
 */
export interface PgMessageHandlers {
  submit(connection: Connection): Error | null | void;
  handleRowDescription(msg: { fields: FieldDef[] }): void;
  handleDataRow(msg: { fields: unknown[] }): void;
  handleCommandComplete(msg: unknown, connection: Connection): void;
  handleEmptyQuery(connection: Connection): void;
  handleError(err: Error, connection: Connection): void;
  handleReadyForQuery(connection: Connection): void;
  handlePortalSuspended(connection: Connection): void;
  handleCopyInResponse(connection: Connection): void;
  handleCopyData(msg: unknown, connection: Connection): void;
}

/** The parts of pg's Result (a QueryResult that parses rows) a pipeline fills; pg's typings only declare its constructor. */
interface ResultBuilder extends QueryResult {
  addFields(fields: FieldDef[]): void;
  parseRow(fields: unknown[]): unknown;
  addRow(row: unknown): void;
  addCommandComplete(msg: unknown): void;
}

/** pg's conversion of a parameter (Date, array, object, Buffer...) to what Bind carries; exported at run time only. */
const { prepareValue } = (
  pg as unknown as { utils: { prepareValue(value: unknown): string | Buffer | null } }
).utils;

/**
 * The Submittable that sends a pipeline (`client.query(new Pipeline(...))`); the callback
 * hears once: every statement's result, in order, or the first error — a statement's, or a
 * row pg could not parse. Postgres never hears of the latter, so it does not stop the
 * statements after it: it is reported once they all ran.
 */
export class Pipeline implements PgMessageHandlers {
  private readonly results: ResultBuilder[];
  /** The statement whose answers arrive now: each ends with CommandComplete (or EmptyQueryResponse). */
  private current = 0;
  private failure: Error | undefined;
  private done = false;
  private sending: Sending[] = [];
  /** pg's record of the statements this connection has parsed, by name (what its own Query reads). */
  private parsed: Record<string, string> = {};

  constructor(
    readonly statements: readonly PipelinedStatement[],
    types: CustomTypesConfig | undefined,
    private readonly callback: PipelineCallback,
    /**
     * The connection's names for repeated statements: a statement with parameters that the
     * connection parsed before under a name goes out as Bind/Execute alone, and one named now
     * is parsed under its name. Undefined: every statement unnamed, parsed every time.
     */
    private readonly naming?: StatementNaming,
  ) {
    if (statements.length === 0) throw new Error('a pipeline needs at least one statement');
    const Result = pg.Result as unknown as new (rowMode: undefined, types: unknown) => ResultBuilder;
    this.results = statements.map((s) => new Result(undefined, s.types ?? types));
  }

  submit(connection: Connection): Error | null {
    let values: (string | Buffer | null)[][];
    try {
      // Converted before anything is written: a value pg can't convert fails the pipeline, not half of it.
      values = this.statements.map((s) => (s.values ?? []).map((v) => prepareValue(v)));
    } catch (err) {
      return err as Error;
    }
    this.parsed = (connection as unknown as { parsedStatements: Record<string, string> }).parsedStatements;
    this.sending = this.statements.map((s) => this.sendingOf(s));
    connection.stream.cork();
    try {
      this.statements.forEach((s, i) => {
        const { name, parse } = this.sending[i]!;
        if (parse) connection.parse({ text: s.text, name, types: [] }, false);
        connection.bind({ statement: name, values: values[i] }, false);
        connection.describe({ type: 'P', name: '' }, false);
        connection.execute({}, false);
      });
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return null;
  }

  handleRowDescription(msg: { fields: FieldDef[] }) {
    this.results[this.current]?.addFields(msg.fields);
  }

  handleDataRow(msg: { fields: unknown[] }) {
    const result = this.results[this.current];
    if (!result || this.failure) return;
    try {
      result.addRow(result.parseRow(msg.fields));
    } catch (err) {
      this.failure = err as Error; // reported once Postgres is done with the pipeline
    }
  }

  handleCommandComplete(msg: unknown) {
    this.results[this.current++]?.addCommandComplete(msg);
  }

  handleEmptyQuery() {
    this.current++;
  }

  /** Postgres skips the rest up to the Sync; pg's Client hands nothing more to this pipeline. */
  handleError(err: Error) {
    this.finish(this.failure ?? err);
  }

  handleReadyForQuery() {
    this.finish(this.failure, this.results);
  }

  handlePortalSuspended() {
    // Every Execute asks for all rows: no portal is ever suspended.
  }

  handleCopyInResponse(connection: Connection) {
    (connection as unknown as { sendCopyFail(msg: string): void }).sendCopyFail('No source stream defined');
  }

  handleCopyData() {
    // COPY is refused at its CopyInResponse.
  }

  private sendingOf(s: PipelinedStatement): Sending {
    const name = s.values && s.values.length > 0 ? this.naming?.nameFor(s.text) : undefined;
    if (name === undefined) return { name: '', parse: true };
    return { name, parse: this.parsed[name] !== s.text };
  }

  /**
   * What Postgres now holds under the names sent: every statement that completed was parsed
   * (pg's own queries then skip the Parse too). The one that failed may or may not have been,
   * so a name it was given now is dropped, as is one whose plan went stale (StatementNames.forget);
   * those after it were never parsed, and are parsed under their names next time.
   */
  private recordNames(err: Error | undefined) {
    this.sending.forEach(({ name, parse }, i) => {
      if (name && parse && i < this.current) this.parsed[name] = this.statements[i]!.text;
    });
    const failed = err ? this.sending[this.current] : undefined;
    if (failed?.name && (failed.parse || isStalePlan(err))) {
      this.naming?.forget(this.statements[this.current]!.text);
    }
  }

  private finish(err: Error | undefined, results?: QueryResult[]) {
    if (this.done) return;
    this.done = true;
    this.recordNames(err);
    if (err) this.callback(err);
    else this.callback(undefined, results);
  }
}
