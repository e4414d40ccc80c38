import { testInfra } from './infra';

const AUTH = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };

/**
 * Force-closes every AMQP connection named `connectionName` through RabbitMQ's management
 * API, as a broker restart would. Throws while the API does not list it yet (use waitFor).
 */
export async function dropAmqpConnections(connectionName: string): Promise<void> {
  const api = testInfra().rabbitApiUrl;
  const res = await fetch(`${api}/api/connections`, { headers: AUTH });
  const list = (await res.json()) as { name: string; client_properties?: { connection_name?: string } }[];
  const ours = list.filter((c) => c.client_properties?.connection_name === connectionName);
  if (ours.length === 0) throw new Error(`connection ${connectionName} not listed by the management API yet`);
  for (const c of ours) {
    await fetch(`${api}/api/connections/${encodeURIComponent(c.name)}`, { method: 'DELETE', headers: AUTH });
  }
}
