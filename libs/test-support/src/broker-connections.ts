import { apiName, managementApi } from './management-api';

/**
 * Force-closes every AMQP connection named `connectionName` through RabbitMQ's management
 * API, as a broker restart would. Throws while the API does not list it yet (use waitFor).
 */
export async function dropAmqpConnections(connectionName: string): Promise<void> {
  const list = await managementApi<{ name: string; client_properties?: { connection_name?: string } }[]>(
    'GET',
    '/connections',
  );
  const ours = list.filter((c) => c.client_properties?.connection_name === connectionName);
  if (ours.length === 0) throw new Error(`connection ${connectionName} not listed by the management API yet`);
  for (const c of ours) await managementApi('DELETE', `/connections/${apiName(c.name)}`);
}
