import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { RabbitMQContainer, type StartedRabbitMQContainer } from '@testcontainers/rabbitmq';
import { getContainerRuntimeClient } from 'testcontainers';

/** The images the containers run: the versions the platform is built and tested against. */
export const TEST_IMAGES = { postgres: 'postgres:15', rabbitmq: 'rabbitmq:3.10-management' } as const;

/**
 * Postgres' server settings for the tests: prepared transactions are off (0) in a stock
 * Postgres, and the tests run many services' pools side by side.
 */
export const POSTGRES_TEST_SETTINGS = ['-c', 'max_prepared_transactions=512', '-c', 'max_connections=300'];

export interface StartedTestInfra {
  /** What testInfra() reads: TRX_TEST_PG_URL, TRX_TEST_AMQP_URL, TRX_TEST_RABBITMQ_API_URL. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** True when the variable asks for containers (`TRX_TESTCONTAINERS=1` or `true`). */
export function wantsContainers(env: Record<string, string | undefined>): boolean {
  return env.TRX_TESTCONTAINERS === '1' || env.TRX_TESTCONTAINERS === 'true';
}

/**
 * Starts Postgres (prepared transactions on) and RabbitMQ with its management API in
 * containers. Fails with a message that says what to do when there is no container runtime.
 */
export async function startTestContainers(): Promise<StartedTestInfra> {
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      'TRX_TESTCONTAINERS=1 but no container runtime answered (Docker or Podman socket): ' +
        `${(err as Error).message}. Unset TRX_TESTCONTAINERS to test against the local ` +
        'PostgreSQL and RabbitMQ (bash scripts/infra.sh prepares them).',
    );
  }
  const [pg, rabbit] = await Promise.all([
    new PostgreSqlContainer(TEST_IMAGES.postgres)
      .withUsername('postgres')
      .withDatabase('postgres')
      .withCommand(['postgres', ...POSTGRES_TEST_SETTINGS])
      .start(),
    new RabbitMQContainer(TEST_IMAGES.rabbitmq).start(),
  ]).catch(async (err: unknown) => {
    throw new Error(`the test containers did not start: ${(err as Error).message}`);
  });
  return {
    env: containerEnv(pg, rabbit),
    stop: async () => {
      await Promise.all([pg.stop(), rabbit.stop()]);
    },
  };
}

function containerEnv(
  pg: StartedPostgreSqlContainer,
  rabbit: StartedRabbitMQContainer,
): Record<string, string> {
  return {
    TRX_TEST_PG_URL: pg.getConnectionUri(),
    TRX_TEST_AMQP_URL: rabbit.getAmqpUrl(),
    TRX_TEST_RABBITMQ_API_URL: `http://${rabbit.getHost()}:${rabbit.getMappedPort(15672)}`,
  };
}
