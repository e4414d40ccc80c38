/** The run's RabbitMQ objects: reset at the start, probed while RabbitMQ restarts. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { exchangeOf } from './platform';
import type { ChaosOptions } from './options';

/**
 * Gives the run's exchange the broker permissions of the credentials model (only the
 * coordinator's user publishes decision.*): scripts/infra/rabbitmq-users.sh, on a local RabbitMQ.
 */
export async function grantExchange(options: ChaosOptions): Promise<void> {
  await promisify(execFile)('bash', ['scripts/infra/rabbitmq-users.sh', exchangeOf(options)], {
    timeout: 120_000,
  });
}

/** Deletes the run's queues and exchanges so no decision of an earlier run is redelivered. */
export async function resetBroker(options: ChaosOptions, services: readonly string[]): Promise<void> {
  const exchange = exchangeOf(options);
  const connection = await amqp.connect(options.amqpUrl);
  try {
    const channel = await connection.createChannel();
    const parked = [`${exchange}.unroutable`, `${exchange}.dead-letter`];
    const queues = [...services.map((s) => `${exchange}.decisions.${s}`), `${exchange}.audit`, ...parked];
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const name of [exchange, ...parked]) await channel.deleteExchange(name);
    await channel.close();
  } finally {
    await connection.close();
  }
}

export async function rabbitReachable(url: string): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: 3_000 });
    connection.on('error', () => undefined);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
