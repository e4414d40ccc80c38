import { LatencyRecorder, type StepSummary } from './stats';

/**
 * One order attempt. Resolves with undefined when it committed, or with an error kind
 * (`http-409:insufficient-stock`, `network:ECONNRESET`, ...) when it did not.
 */
export type Operation = () => Promise<string | undefined>;

const ERROR_PAUSE_MS = 10;

export interface LoadStep {
  /** Shown at the start of every progress line, e.g. `trx c=16`. */
  label: string;
  concurrency: number;
  durationMs: number;
  /** One operation per closed-loop client (each client may keep its own state). */
  operationFor(client: number): Operation;
  /** Extra text for the progress line (e.g. prepared transactions right now). */
  progressExtra?: () => string;
  /** Where progress lines go; default stdout. */
  print?: (line: string) => void;
}

/**
 * Closed loop: `concurrency` clients each send the next request as soon as the previous
 * one answers, until the window ends. Requests still in flight at the end are awaited
 * (so the next step starts clean); they count as errors if they fail, but not in the rate.
 */
export async function runClosedLoop(step: LoadStep): Promise<StepSummary> {
  const recorder = new LatencyRecorder();
  const print = step.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const start = performance.now();
  const end = start + step.durationMs;
  let lastCommitted = 0;
  let lastTick = start;
  const ticker = setInterval(() => {
    const now = performance.now();
    const rate = ((recorder.committed - lastCommitted) * 1000) / (now - lastTick);
    [lastCommitted, lastTick] = [recorder.committed, now];
    const extra = step.progressExtra?.() ?? '';
    print(
      `[bench] ${step.label.padEnd(14)} ${((now - start) / 1000).toFixed(0).padStart(3)}s` +
        `  done=${String(recorder.committed).padEnd(7)} rate=${rate.toFixed(0).padStart(5)}/s` +
        `  errors=${recorder.errors}${extra ? `  ${extra}` : ''}`,
    );
  }, 1000);
  ticker.unref();
  const client = async (index: number) => {
    const operation = step.operationFor(index);
    while (performance.now() < end) {
      const t0 = performance.now();
      let failure: string | undefined;
      try {
        failure = await operation();
      } catch (err) {
        failure = `exception:${(err as Error).name ?? 'Error'}:${(err as Error).message?.slice(0, 80)}`;
      }
      const t1 = performance.now();
      if (failure === undefined) {
        recorder.ok(t1 - t0, t1 <= end);
      } else {
        recorder.error(failure);
        // A service that is down fails at once: don't spin on it.
        await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: step.concurrency }, (_, i) => client(i)));
  } finally {
    clearInterval(ticker);
  }
  return recorder.summary(step.durationMs);
}
