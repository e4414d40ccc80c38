import type { Logger } from '@trx/logging';

/** One thing stop() undoes. */
export type StopStep = () => Promise<unknown>;

/**
 * What a start() set up, undone last-started-first. A step that fails is logged and the
 * others still run, so one stuck dependency does not leave the rest open.
 *
 * @example
 *   const steps = new StopSteps(logger);
 *   await dataSource.initialize();
 *   steps.push(() => dataSource.destroy());
 *   // ...
 *   await steps.runAll();
 */
export class StopSteps {
  private readonly steps: StopStep[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  push(step: StopStep): void {
    this.steps.push(step);
  }

  /**
   * Runs every step once, in reverse order. A call while they run waits for the same run (a
   * second SIGTERM, a test's stop() beside main's); a later call finds nothing left to do.
   */
  runAll(): Promise<void> {
    this.running ??= this.runSteps().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runSteps(): Promise<void> {
    for (const step of this.steps.reverse().splice(0)) {
      await step().catch((err) => this.logger.warn({ err }, 'error while stopping'));
    }
  }
}
