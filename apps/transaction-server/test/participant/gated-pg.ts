import pg from 'pg';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';

/**
 * A gate in front of Postgres for the statements a test names: while it is closed, a
 * matching statement waits before it is sent (to the real database, unchanged), so a test
 * can hold a COMMIT PREPARED in flight and see what else happens meanwhile.
 */
export class StatementGate {
  /** Every matching statement seen, held or not. */
  readonly seen: string[] = [];
  private waiting: (() => void)[] = [];
  private closed = false;

  constructor(private readonly pattern: RegExp) {}

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.closed = false;
    for (const release of this.waiting.splice(0)) release();
  }

  get held(): number {
    return this.waiting.length;
  }

  /** Resolves when `text` may go on. */
  pass(text: string): Promise<void> {
    if (!this.pattern.test(text)) return Promise.resolve();
    this.seen.push(text);
    if (!this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A TypeORM DataSource on `url` whose pool's connections (and those of pools copied from its options) pass this gate. */
  dataSource(url: string, poolSize = 4, logger?: TypeOrmLogger): DataSource {
    return new DataSource({ type: 'postgres', url, poolSize, driver: this.driver(), logger });
  }

  private driver(): unknown {
    const pass = (text: string) => this.pass(text);
    class GatedClient extends pg.Client {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's overloads, passed through as they came
      override query(...args: any[]): any {
        const text: unknown = typeof args[0] === 'string' ? args[0] : args[0]?.text;
        if (typeof text !== 'string' || typeof args[args.length - 1] === 'function') {
          return (super.query as (...a: unknown[]) => unknown)(...args);
        }
        return pass(text).then(() => (super.query as (...a: unknown[]) => unknown)(...args));
      }
    }
    class GatedPool extends pg.Pool {
      constructor(options: pg.PoolConfig) {
        super({ ...options, Client: GatedClient } as pg.PoolConfig);
      }
    }
    return { ...pg, Pool: GatedPool, Client: GatedClient };
  }
}
