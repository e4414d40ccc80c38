/**
 * Messages RabbitMQ handled during a step, from the management API's cumulative counters
 * (publish, deliver/get): how many broker messages an order costs.
 */
export interface RabbitSample {
  published: number;
  delivered: number;
}

export const DEFAULT_RABBIT_API = 'http://127.0.0.1:15672';

const AUTH = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };

/** Deletes a queue of the default vhost through the management API (best effort). */
export async function deleteQueue(api: string, queue: string): Promise<void> {
  await fetch(`${api}/api/queues/%2F/${encodeURIComponent(queue)}`, {
    method: 'DELETE',
    headers: AUTH,
    signal: AbortSignal.timeout(3000),
  }).catch(() => undefined);
}

export async function sampleRabbit(api: string): Promise<RabbitSample | null> {
  try {
    const res = await fetch(`${api}/api/overview`, {
      headers: AUTH,
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { message_stats?: { publish?: number; deliver_get?: number } };
    return { published: body.message_stats?.publish ?? 0, delivered: body.message_stats?.deliver_get ?? 0 };
  } catch {
    return null;
  }
}
