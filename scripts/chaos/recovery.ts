/**
 * "Recovered" means: every replica ready, no prepared transaction left in the run's
 * databases, and the coordinator has no transaction that is active, decided but not
 * acknowledged, or decided but not yet announced (its decision and events, e.g.
 * order.confirmed, not confirmed by the broker), and no outbox message is waiting
 * (coordinator-state.ts countUnfinished). Polled after the load stops, within a bound.
 */
import { countUnfinished } from './coordinator-state';
import type { RunDatabases } from './databases';
import type { Platform } from './platform';
import { sleep } from './time';

export interface RecoveryState {
  ready: boolean;
  prepared: number;
  unfinished: Record<string, number>;
}

export async function recoveryState(platform: Platform, dbs: RunDatabases): Promise<RecoveryState> {
  const ready = await platform.allReady();
  const prepared = (await dbs.prepared()).length;
  const unfinished = await countUnfinished(dbs);
  return { ready, prepared, unfinished };
}

export function isRecovered(state: RecoveryState): boolean {
  return state.ready && state.prepared === 0 && Object.values(state.unfinished).every((n) => n === 0);
}

/** Polls until recovered; resolves with the last state seen and whether it recovered. */
export async function waitForRecovery(
  platform: Platform,
  dbs: RunDatabases,
  timeoutMs: number,
): Promise<{ recovered: boolean; state?: RecoveryState; error?: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: { recovered: boolean; state?: RecoveryState; error?: string } = { recovered: false };
  while (Date.now() < deadline) {
    try {
      const state = await recoveryState(platform, dbs);
      last = { recovered: isRecovered(state), state };
      if (last.recovered) return last;
    } catch (err) {
      last = { recovered: false, error: (err as Error).message };
    }
    await sleep(500);
  }
  return last;
}
