/** How long a gauge's query may take at scrape time before the gauge reports -1. */
export const DEFAULT_SCRAPE_TIMEOUT_MS = 1_000;

/**
 * A read for gauges computed at scrape time (prom-client `collect()`): `read()` bounded by
 * `timeoutMs`, undefined when it fails or takes longer, so the gauge can say -1 instead of
 * holding up the scrape or showing a stale value. Gauges that share one query share one read:
 * a call while a read is in flight gets that read (prom-client collects all metrics at once).
 *
 * @example
 *   const sample = scrapeSampler(() => countSomething(pool));
 *   new Gauge({ name: 'x', help: '...', async collect() { this.set((await sample()) ?? -1); } });
 */
export function scrapeSampler<T>(
  read: () => Promise<T>,
  timeoutMs = DEFAULT_SCRAPE_TIMEOUT_MS,
): () => Promise<T | undefined> {
  let inFlight: Promise<T | undefined> | undefined;
  return () => {
    inFlight ??= within(read, timeoutMs).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

async function within<T>(read: () => Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    // A read that outlives the timeout still ends on its own; its result is dropped.
    return await Promise.race([read().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
