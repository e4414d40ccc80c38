import { randomBytes } from 'node:crypto';
import { testInfra, uniqueName } from './infra';
import { apiName, managementApi } from './management-api';

const VHOST = '/';

/** Regexes of RabbitMQ's `set_permissions`, matched against exchange and queue names. */
export interface ResourcePermissions {
  configure: string;
  write: string;
  read: string;
}

/** Regexes of `set_topic_permissions` on one topic exchange, matched against routing keys. */
export interface TopicPermissions {
  exchange: string;
  write: string;
  read: string;
}

export interface BrokerUserOptions {
  /** Start of the user name (a random suffix follows); default `trx-test-user`. */
  prefix?: string;
  /** Default: everything (`.*` for configure, write and read). */
  permissions?: ResourcePermissions;
  topic?: TopicPermissions;
}

export interface TestBrokerUser {
  username: string;
  password: string;
  /** testInfra().amqpUrl with this user's credentials. */
  amqpUrl: string;
  /** Deletes the user (RabbitMQ closes its connections). Idempotent. */
  remove(): Promise<void>;
}

/**
 * A throw-away RabbitMQ user on vhost `/`, made through the management API, with the
 * permissions (and topic permissions on a test exchange) a test needs — e.g. a service's
 * credentials in an attacker's hands. Remove it in afterAll.
 */
export async function createBrokerUser(o: BrokerUserOptions = {}): Promise<TestBrokerUser> {
  const username = uniqueName(o.prefix ?? 'trx-test-user').replace(/_/g, '-');
  const password = randomBytes(18).toString('base64url');
  const user = `/users/${apiName(username)}`;
  await managementApi('PUT', user, { password, tags: '' });
  const remove = () => managementApi('DELETE', user).catch(ignoreNotFound);
  try {
    const permissions = o.permissions ?? { configure: '.*', write: '.*', read: '.*' };
    await managementApi('PUT', `/permissions/${apiName(VHOST)}/${apiName(username)}`, permissions);
    if (o.topic)
      await managementApi('PUT', `/topic-permissions/${apiName(VHOST)}/${apiName(username)}`, o.topic);
  } catch (err) {
    await remove();
    throw err;
  }
  const url = new URL(testInfra().amqpUrl);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  return { username, password, amqpUrl: url.toString(), remove: async () => void (await remove()) };
}

function ignoreNotFound(err: unknown): void {
  if (!/: 404 /.test(String((err as Error).message))) throw err;
}

/** A message as the management API shows it, left in its queue. */
export interface PeekedMessage {
  routingKey: string;
  body: unknown;
  properties: { message_id?: string; user_id?: string; headers?: Record<string, unknown> };
}

/**
 * Up to `count` messages of `queue`, read through the management API and put back
 * (ack_requeue_true), so a test can look into a dead-letter queue without consuming it.
 */
export async function peekQueue(queue: string, count = 100): Promise<PeekedMessage[]> {
  const got = await managementApi<
    { routing_key: string; payload: string; properties: PeekedMessage['properties'] }[]
  >('POST', `/queues/${apiName(VHOST)}/${apiName(queue)}/get`, {
    count,
    ackmode: 'ack_requeue_true',
    encoding: 'auto',
  });
  return got.map((m) => ({ routingKey: m.routing_key, body: parse(m.payload), properties: m.properties }));
}

function parse(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}
