import { TestCredentials } from './credentials';

/**
 * This test file's credentials (jest loads this module once per file). Tests call an app as the
 * order-service — a participant's only caller in production — unless they say otherwise.
 */
export const testCredentials = new TestCredentials();
export const TEST_CALLER = 'order-service';
/** Every app knows every identity (so a wrong caller is 403, not 401); each route says who may call it. */
export const ALL_IDENTITIES = [
  'transaction-server',
  'order-service',
  'account-service',
  'product-service',
  'operator',
];

/** A JSON HTTP call to an app; the status and the parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
): Promise<{ status: number; body: any }> {
  const { status, body: answer } = await callWithHeaders(url, method, path, body, headers);
  return { status, body: answer };
}

/** call(), with the response headers too. */
export async function callWithHeaders(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
): Promise<{ status: number; body: any; headers: Headers }> {
  // As the order-service unless the test sets `authorization` ('' sends none).
  const all: Record<string, string> = {
    'content-type': 'application/json',
    authorization: testCredentials.bearer(TEST_CALLER),
    ...headers,
  };
  if (all.authorization === '') delete all.authorization;
  const res = await fetch(`${url}${path}`, {
    method,
    headers: all,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
