import type { Logger } from '@trx/logging';

/**
 * What every trx app's start() resolves with (docs/architecture.md): where it listens, and
 * `stop()`, which undoes the start last-started-first (StopSteps) and closes HTTP gracefully.
 */
export interface RunningApp {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** The second argument of every app's start(); an app may add options of its own. */
export interface StartOptions {
  clock?: () => Date;
  logger?: Logger;
}
