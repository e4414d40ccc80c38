/** The run's RabbitMQ objects: reset at the start, probed while RabbitMQ restarts. */
import * as amqp from 'amqplib';
import { exchangeOf } from './platform';
import type { ChaosOptions } from './options';

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
