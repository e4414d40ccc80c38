import http from 'node:http';

/**
 * JSON over keep-alive sockets with node:http: no client library in the measured path,
 * one socket per closed-loop client.
 */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

export class HttpJson {
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: string,
    sockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const all: Record<string, string | number> = { ...headers, 'content-length': Buffer.byteLength(payload) };
    if (body !== undefined) all['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = http.request(
        new URL(path, this.baseUrl),
        { method, agent: this.agent, headers: all, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseJson(chunks) }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(Object.assign(new Error(`network:${err.code ?? err.message}`), { name: 'NetworkError' })),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The error kind of an answer that is not the expected one: `http-409:insufficient-stock`. */
export function failureOf(answer: HttpAnswer): string {
  const code = (answer.body as { error?: unknown } | null)?.error;
  return `http-${answer.status}${typeof code === 'string' ? `:${code}` : ''}`;
}

/** A network failure as an error kind (`network:ECONNRESET`); anything else is thrown on. */
export function networkFailure(err: unknown): string {
  if ((err as Error).name === 'NetworkError') return (err as Error).message;
  throw err;
}

function parseJson(chunks: Buffer[]): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
