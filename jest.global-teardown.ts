import type { StartedTestInfra } from './libs/test-support/src/containers';

/** Stops the containers jest.global-setup.ts started, if it started any. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __trxTestInfra?: StartedTestInfra }).__trxTestInfra?.stop();
}
