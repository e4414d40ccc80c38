/**
 * When a branch's closing message carries the cap's check, and what this process knows in
 * between of how many of its service's branches are prepared in the database.
 *
 * The check (`trx_prepared_count_below`, see branch-sql) scans pg_prepared_xact(): 0.20–0.25 ms
 * of Postgres CPU per prepare under the benchmark's load, three prepares per order, on a
 * machine whose CPU per order bounds throughput. Below the cap — nearly always — it only
 * costs, so a prepare carries it only while the service may be near its cap.
 */

/** When a prepare carries the check. */
export interface CapCheckRule {
  /** Share of the cap the estimate must reach. */
  fraction: number;
  /** Age (ms) past which the last reading is not trusted, however low it was. */
  maxReadingAgeMs: number;
}

/**
 * At half the cap, or once the last reading is a second old. Half the cap is the room left
 * for what the estimate cannot see: other replicas' prepares since the reading (and the
 * prepares racing it). Other replicas would have to prepare more than half the cap within
 * the second before this process's estimate goes stale to push the service past its cap —
 * and then only until a reading catches up. A second bounds that window and costs one
 * check per second per replica.
 */
export const CAP_CHECK_RULE: CapCheckRule = { fraction: 0.5, maxReadingAgeMs: 1000 };

/**
 * Whether a prepare carries the cap's check: never without a cap (`max` 0), always when the
 * reading is old (or its age is negative: the wall clock went back, so it says nothing), and
 * else when the estimate reaches `rule.fraction` of the cap.
 */
export function shouldCheckCap(
  max: number,
  estimate: number,
  readingAgeMs: number,
  rule: CapCheckRule = CAP_CHECK_RULE,
): boolean {
  if (!(max > 0)) return false;
  if (!(readingAgeMs >= 0 && readingAgeMs < rule.maxReadingAgeMs)) return true;
  return estimate >= max * rule.fraction;
}

/** A reading started: when, and how many prepares this process had completed then. */
export interface Reading {
  at: number;
  prepared: number;
}

/** One prepare's closing message: whether it carries the check, and the reading it then takes. */
export interface CapTicket {
  check: boolean;
  reading?: Reading;
}

/**
 * A process's gauge of its service's prepared branches, database-wide: the last reading
 * (the check's answer, or the scrape-time summary), plus this process's prepares since it
 * started and those in flight, minus the prepared branches this process finished since it
 * came back. Readings cost nothing extra: they come from statements that run anyway.
 *
 * It errs high where it can: a prepare that completes while a reading is in flight counts on
 * top of it even if the reading saw it, one in flight counts before it is prepared, a finish
 * counts only once the reading is back, and the ROLLBACK PREPARED of a branch whose vote the
 * coordinator refused (rare; not through FinishingBranches) does not count at all. It falls short of the truth by at most what other
 * replicas prepared since the reading (and prepares racing it; the check itself always was
 * soft by those) — which CAP_CHECK_RULE bounds by time.
 */
export class PreparedGauge {
  private count = 0;
  private readAt = Number.NEGATIVE_INFINITY;
  private preparedAtReading = 0;
  private finishedAtReading = 0;
  /** This process's prepares, ever. */
  private prepared = 0;
  /** Prepared branches this process finished (COMMIT/ROLLBACK PREPARED that ended one), ever. */
  private finished = 0;
  /** Closing messages sent and not answered yet. */
  private inFlight = 0;

  constructor(
    /** The service's cap; 0 = none, and no prepare carries the check. */
    readonly max: number,
    /** Milliseconds; the participant's clock. */
    private readonly now: () => number,
    private readonly rule: CapCheckRule = CAP_CHECK_RULE,
  ) {}

  /** The service's branches prepared now, as far as this process can tell. */
  estimate(): number {
    const since = this.prepared - this.preparedAtReading + this.inFlight;
    return Math.max(0, this.count + since - (this.finished - this.finishedAtReading));
  }

  /** Before a branch's closing message: whether it carries the check. Hand the ticket back to `settle`. */
  begin(): CapTicket {
    const check = shouldCheckCap(this.max, this.estimate(), this.now() - this.readAt, this.rule);
    const ticket: CapTicket = { check, reading: check ? this.startReading() : undefined };
    this.inFlight++;
    return ticket;
  }

  /**
   * After the closing message: `prepared` or not, and what the check answered — the count
   * before this branch, or `capReached` (SQLSTATE TRX01: at least the cap).
   */
  settle(ticket: CapTicket, outcome: { prepared: boolean; count?: number; capReached?: boolean }): void {
    this.inFlight--;
    if (outcome.prepared) this.prepared++;
    if (!ticket.reading) return;
    if (outcome.capReached) this.record(ticket.reading, this.max);
    else if (outcome.count !== undefined) this.record(ticket.reading, outcome.count);
  }

  /** A prepared branch of the service finished by this process. */
  finishedOne(): void {
    this.finished++;
  }

  /** Reads the count with `read` (e.g. the scrape's summary) and keeps it as a reading. */
  async measure<T extends { count: number }>(read: () => Promise<T>): Promise<T> {
    const reading = this.startReading();
    const result = await read();
    this.record(reading, result.count);
    return result;
  }

  private startReading(): Reading {
    return { at: this.now(), prepared: this.prepared };
  }

  /** A reading taken before the one kept already says less: dropped. */
  private record(reading: Reading, count: number): void {
    if (reading.at < this.readAt) return;
    this.count = count;
    this.readAt = reading.at;
    this.preparedAtReading = reading.prepared;
    this.finishedAtReading = this.finished;
  }
}
