import { DataSource, type Logger } from 'typeorm';

/**
 * A TypeORM logger that records every statement sent through it: TypeORM calls `logQuery`
 * once per query, whatever the logging options. For tests that count round trips.
 */
export function statementRecorder(): { logger: Logger; sent: string[] } {
  const sent: string[] = [];
  const logger: Logger = {
    logQuery: (query) => void sent.push(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  return { logger, sent };
}

/** A one-connection DataSource on `dbUrl` whose every statement lands in `sent` (initialized). */
export async function recordingDataSource(
  dbUrl: string,
): Promise<{ dataSource: DataSource; sent: string[] }> {
  const { logger, sent } = statementRecorder();
  const dataSource = await new DataSource({ type: 'postgres', url: dbUrl, poolSize: 1, logger }).initialize();
  return { dataSource, sent };
}
