import { startTestContainers, wantsContainers } from './libs/test-support/src/containers';

/**
 * With TRX_TESTCONTAINERS=1, every test runs against a Postgres and a RabbitMQ in
 * containers started here (workers inherit the URLs through the environment). Without it,
 * the tests use the local services — the path that runs on machines without a container
 * runtime.
 */
export default async function globalSetup(): Promise<void> {
  if (!wantsContainers(process.env)) return;
  const infra = await startTestContainers();
  Object.assign(process.env, infra.env);
  (globalThis as { __trxTestInfra?: typeof infra }).__trxTestInfra = infra;
}
