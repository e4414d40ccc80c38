import { testInfra } from './infra';

// The management API answers `guest` on localhost only: the tests' broker is local (or a container).
const AUTH = 'Basic ' + Buffer.from('guest:guest').toString('base64');

/** One call to RabbitMQ's management HTTP API as guest; the parsed JSON answer (undefined when empty). */
export async function managementApi<T = unknown>(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${testInfra().rabbitApiUrl}/api${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`RabbitMQ management API ${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The management API's spelling of a vhost or object name in a path (`/` is `%2F`). */
export const apiName = encodeURIComponent;
