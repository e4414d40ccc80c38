/** Small time helpers shared by the chaos modules. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves with whether it did. */
export async function pollUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
