import { silentLogger } from '@trx/logging';
import { StopSteps } from '../src';

test('steps run last-started-first, a failing one does not stop the rest, and each runs once', async () => {
  const ran: string[] = [];
  const steps = new StopSteps(silentLogger());
  steps.push(async () => void ran.push('database'));
  steps.push(async () => {
    ran.push('broker');
    throw new Error('already closed');
  });
  steps.push(async () => void ran.push('http'));
  await steps.runAll();
  await steps.runAll();
  expect(ran).toEqual(['http', 'broker', 'database']);
});

test('a stop() while one runs waits for that one to finish', async () => {
  let release!: () => void;
  const ran: string[] = [];
  const steps = new StopSteps(silentLogger());
  steps.push(async () => void ran.push('database'));
  steps.push(() => new Promise<void>((resolve) => (release = resolve)));
  const first = steps.runAll();
  let secondDone = false;
  const second = steps.runAll().then(() => (secondDone = true));
  await Promise.resolve();
  expect(secondDone).toBe(false);
  release();
  await Promise.all([first, second]);
  expect(ran).toEqual(['database']);
});
