/**
 * Restarts of the shared infrastructure: RabbitMQ (stop_app / start_app) and PostgreSQL
 * (immediate mode: no checkpoint, like a power cut for the clients). These hit every user
 * of the local servers, which is why only the run's own processes and databases are used
 * and why `ensureInfraUp` runs whatever happens.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { pollUntil } from './time';

const run = promisify(execFile);

export interface InfraControl {
  stopRabbit(): Promise<void>;
  startRabbit(): Promise<void>;
  restartPostgres(): Promise<void>;
  /** True when both answer; whatever is down is started. */
  ensureUp(): Promise<{ postgres: boolean; rabbitmq: boolean }>;
}

export interface LocalInfraOptions {
  /** Resolves true when Postgres accepts queries. */
  postgresReachable: () => Promise<boolean>;
  /** Resolves true when RabbitMQ accepts AMQP connections. */
  rabbitReachable: () => Promise<boolean>;
  /** Only a server on this machine is ever started by ensureUp. */
  postgresLocal: boolean;
  rabbitLocal: boolean;
  log: (line: string) => void;
}

/** The newest local cluster, as scripts/infra.sh finds it. */
export function localPostgresVersion(): string {
  const versions = fs
    .readdirSync('/etc/postgresql')
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const newest = versions[versions.length - 1];
  if (!newest) throw new Error('no local PostgreSQL cluster under /etc/postgresql');
  return newest;
}

export function localInfra(options: LocalInfraOptions): InfraControl {
  const pgctl = (...args: string[]) =>
    run('pg_ctlcluster', ['--skip-systemctl-redirect', localPostgresVersion(), 'main', ...args], {
      timeout: 120_000,
    });
  const rabbitmqctl = (...args: string[]) => run('rabbitmqctl', args, { timeout: 120_000 });
  return {
    async stopRabbit() {
      await rabbitmqctl('stop_app');
    },
    async startRabbit() {
      await rabbitmqctl('start_app');
      if (!(await pollUntil(options.rabbitReachable, 60_000, 250)))
        throw new Error('RabbitMQ did not come back');
    },
    async restartPostgres() {
      await pgctl('restart', '-m', 'immediate');
      if (!(await pollUntil(options.postgresReachable, 60_000, 250)))
        throw new Error('PostgreSQL did not come back');
    },
    async ensureUp() {
      let postgres = await options.postgresReachable();
      if (!postgres && options.postgresLocal) {
        options.log('PostgreSQL is down: starting it');
        await pgctl('start').catch((err: Error) => options.log(`pg_ctlcluster start: ${err.message}`));
        postgres = await pollUntil(options.postgresReachable, 60_000, 500);
      }
      let rabbitmq = await options.rabbitReachable();
      if (!rabbitmq && options.rabbitLocal) {
        options.log('RabbitMQ is down: rabbitmqctl start_app');
        await rabbitmqctl('start_app').catch((err: Error) =>
          options.log(`rabbitmqctl start_app: ${err.message}`),
        );
        rabbitmq = await pollUntil(options.rabbitReachable, 60_000, 500);
      }
      return { postgres, rabbitmq };
    },
  };
}
