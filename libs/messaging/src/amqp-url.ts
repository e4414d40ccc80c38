import { InvalidBrokerUrlError } from './errors';

/** The user name and password a connection to `url` logs in with. */
export interface AmqpCredentials {
  username: string;
  password: string;
}

const GUEST: AmqpCredentials = { username: 'guest', password: 'guest' };

/**
 * Reads the credentials from an AMQP URL, percent-decoded (`trx%2Dorder` is `trx-order`);
 * a URL without a user name logs in as `guest` (amqplib's rule). The Broker logs in with
 * exactly these, so the `user_id` it stamps on every message is the connection's own user,
 * the one RabbitMQ checks it against.
 */
export function amqpCredentials(url: string): AmqpCredentials {
  const parsed = parse(url);
  if (!parsed.username)
    return { username: GUEST.username, password: decode(parsed.password) || GUEST.password };
  return { username: decode(parsed.username), password: decode(parsed.password) };
}

/** The broker user a connection to `url` is: what RabbitMQ puts behind a validated `user_id`. */
export function brokerUserOf(url: string): string {
  return amqpCredentials(url).username;
}

function parse(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidBrokerUrlError();
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') throw new InvalidBrokerUrlError();
  return parsed;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidBrokerUrlError();
  }
}
