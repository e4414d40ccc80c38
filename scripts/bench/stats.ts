/**
 * Latency and throughput summaries of one benchmark step. Latencies are kept whole (a
 * 15 s step at a few thousand orders/s is tens of thousands of numbers) and sorted once.
 */
export interface StepSummary {
  /** Orders that answered 201 (or local transactions that committed) inside the window. */
  committed: number;
  /** Committed per second of the measured window. */
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  errors: number;
  /** Error kinds and how often each happened, e.g. `http-409:insufficient-stock`. */
  errorKinds: Record<string, number>;
}

/** The value below which `q` (0..1) of the sorted samples fall (nearest rank). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export class LatencyRecorder {
  private samples = new Float64Array(4096);
  private size = 0;
  committed = 0;
  errors = 0;
  readonly errorKinds: Record<string, number> = {};

  /** Records a committed operation that took `ms`; `counted` says if it ended inside the window. */
  ok(ms: number, counted: boolean): void {
    this.push(ms);
    if (counted) this.committed += 1;
  }

  error(kind: string): void {
    this.errors += 1;
    this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
  }

  summary(windowMs: number): StepSummary {
    const sorted = this.samples.slice(0, this.size).sort();
    let total = 0;
    for (const v of sorted) total += v;
    const round = (v: number) => Math.round(v * 100) / 100;
    return {
      committed: this.committed,
      rate: round(windowMs > 0 ? (this.committed * 1000) / windowMs : 0),
      p50: round(percentile(sorted, 0.5)),
      p95: round(percentile(sorted, 0.95)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted.length ? sorted[sorted.length - 1]! : 0),
      mean: round(sorted.length ? total / sorted.length : 0),
      errors: this.errors,
      errorKinds: { ...this.errorKinds },
    };
  }

  private push(ms: number): void {
    if (this.size === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.size++] = ms;
  }
}
