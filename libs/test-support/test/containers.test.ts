import { getContainerRuntimeClient } from 'testcontainers';
import { POSTGRES_TEST_SETTINGS, startTestContainers, wantsContainers } from '../src/containers';

test('when TRX_TESTCONTAINERS is 1 or true, then the tests ask for containers; otherwise for the local services', () => {
  expect(wantsContainers({ TRX_TESTCONTAINERS: '1' })).toBe(true);
  expect(wantsContainers({ TRX_TESTCONTAINERS: 'true' })).toBe(true);
  expect(wantsContainers({ TRX_TESTCONTAINERS: '0' })).toBe(false);
  expect(wantsContainers({})).toBe(false);
});

test('when the Postgres container starts, then it can prepare transactions', () => {
  const setting = POSTGRES_TEST_SETTINGS.find((s) => s.startsWith('max_prepared_transactions='));
  expect(Number(setting?.split('=')[1])).toBeGreaterThanOrEqual(192); // 64 orders × 3 branches
});

test('when containers are asked for and no container runtime answers, then the error says how to test against the local services', async () => {
  const runtime = await getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  if (runtime) return; // a machine with Docker: the global setup starts real containers instead
  await expect(startTestContainers()).rejects.toThrow(
    /TRX_TESTCONTAINERS=1 but no container runtime answered.*Unset TRX_TESTCONTAINERS/,
  );
});
