import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** Log lines an app wrote, parsed, so a test can see what it did (alerts, audit lines, ...). */
export class LogTap {
  readonly lines: Record<string, unknown>[] = [];
  readonly logger: Logger;

  /** `level`: the lowest level kept (a tap at `warn` sees what a warn-only deployment keeps). */
  constructor(level: pino.Level = 'debug') {
    this.logger = pino(
      { level },
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
            this.lines.push(JSON.parse(line));
          done();
        },
      }),
    );
  }

  matching(msg: string, fields: Record<string, unknown> = {}): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
  }
}
