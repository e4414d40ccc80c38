import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { scrapeSampler } from '@trx/db';
import type { Decision } from '@trx/protocol';
import type { PreparedSummary } from './branch-sql';
import type { RecoveryReport } from './recovery';
import type { DecisionRejectReason } from './decision-consumer';
import type { RetentionReport } from './branch-retention';
import { isBranchRefused, isCoordinatorUnreachable, isTooManyPrepared, isUnknownTransaction } from './errors';

/** What the gauges read at scrape time. */
export interface ParticipantMetricSources {
  broker: { isConnected(): boolean };
  /** This service's rows of pg_prepared_xacts in its own database. */
  prepared(): Promise<PreparedSummary>;
}

/**
 * Prometheus metrics of the runtime, registered on the service's registry (so they show
 * on its /metrics); without one they are kept on a private registry nobody scrapes.
 */
export class ParticipantMetrics {
  private readonly branches: Counter<'result'>;
  private readonly branchSeconds: Histogram<'result'>;
  private readonly decisions: Counter<'decision' | 'outcome' | 'already_finished'>;
  private readonly recovered: Counter<'result'>;
  private readonly acks: Counter<'result'>;
  private readonly ackCalls: Counter;
  private readonly rejected: Counter<'reason'>;
  private readonly retained: Counter;
  private readonly stalePrepared: Gauge;

  constructor(registry: Registry = new Registry(), sources?: ParticipantMetricSources) {
    const registers = [registry];
    if (sources) registerScrapeGauges(registry, sources);
    this.branches = new Counter({
      name: 'trx_participant_branches_total',
      help: 'Branches run, by result (prepared, failed, refused, unconfirmed, too-many-prepared)',
      labelNames: ['result'],
      registers,
    });
    this.branchSeconds = new Histogram({
      name: 'trx_participant_branch_duration_seconds',
      help: 'runBranch from BEGIN until the yes-vote is recorded (or the failure)',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.decisions = new Counter({
      name: 'trx_participant_decisions_total',
      help: 'Decisions applied to branches, by decision, outcome and whether the branch was already finished',
      labelNames: ['decision', 'outcome', 'already_finished'],
      registers,
    });
    this.recovered = new Counter({
      name: 'trx_participant_recovery_branches_total',
      help: 'Prepared branches seen by recovery rounds, by result (committed, rolled-back, pending)',
      labelNames: ['result'],
      registers,
    });
    this.acks = new Counter({
      name: 'trx_participant_outcome_acks_total',
      help: 'Branch outcomes acknowledged to the coordinator, by result (recorded, rejected, failed)',
      labelNames: ['result'],
      registers,
    });
    this.ackCalls = new Counter({
      name: 'trx_participant_outcome_calls_total',
      help: 'POST /v1/outcomes calls (acks_total / calls_total = the mean batch)',
      registers,
    });
    this.rejected = new Counter({
      name: 'trx_decisions_rejected_total',
      help:
        'Decision messages, or single entries of a decision batch, refused and dead-lettered, by reason ' +
        '(no-user-id, wrong-user, malformed, wrong-service, foreign-gid, finish-failed)',
      labelNames: ['reason'],
      registers,
    });
    this.retained = new Counter({
      name: 'trx_participant_retention_deleted_total',
      help: 'trx_branch rows deleted by retention',
      registers,
    });
    this.stalePrepared = new Gauge({
      name: 'trx_participant_stale_prepared_branches',
      help: 'Branches of this service still prepared after the retention period, at the last retention round (alert when > 0)',
      registers,
    });
  }

  retentionRound(report: RetentionReport): void {
    this.retained.inc(report.deleted);
    this.stalePrepared.set(report.stalePrepared);
  }

  /** Times a runBranch and counts it by how it ended. */
  async timeBranch<T>(run: () => Promise<T>): Promise<T> {
    const end = this.branchSeconds.startTimer();
    let result = 'prepared';
    try {
      return await run();
    } catch (err) {
      result = branchResultOf(err);
      throw err;
    } finally {
      end({ result });
      this.branches.inc({ result });
    }
  }

  decisionApplied(decision: Decision, outcome: string, changed: boolean): void {
    this.decisions.inc({ decision, outcome, already_finished: String(!changed) });
  }

  decisionRejected(reason: DecisionRejectReason): void {
    this.rejected.inc({ reason });
  }

  outcomesSent(report: { sent: number; recorded: number; rejected: number; failed: number }): void {
    this.ackCalls.inc();
    this.acks.inc({ result: 'recorded' }, report.recorded);
    this.acks.inc({ result: 'rejected' }, report.rejected);
    this.acks.inc({ result: 'failed' }, report.failed);
  }

  recoveryRound(report: RecoveryReport): void {
    this.recovered.inc({ result: 'committed' }, report.committed);
    this.recovered.inc({ result: 'rolled-back' }, report.rolledBack);
    this.recovered.inc({ result: 'pending' }, report.pending);
  }
}

function branchResultOf(err: unknown): string {
  if (isBranchRefused(err) || isUnknownTransaction(err)) return 'refused';
  if (isCoordinatorUnreachable(err)) return 'unconfirmed';
  if (isTooManyPrepared(err)) return 'too-many-prepared';
  return 'failed';
}

/** Computed at scrape time; the two prepared-branch gauges share one bounded query and say -1 when it fails. */
function registerScrapeGauges(registry: Registry, sources: ParticipantMetricSources): void {
  const registers = [registry];
  const prepared = scrapeSampler(() => sources.prepared());
  new Gauge({
    name: 'trx_participant_prepared_branches',
    help: "This service's prepared transactions in its database (pg_prepared_xacts, its gid prefix); -1: cannot read",
    registers,
    async collect() {
      this.set((await prepared())?.count ?? -1);
    },
  });
  new Gauge({
    name: 'trx_participant_prepared_branches_oldest_age_seconds',
    help: "now() - prepared of this service's oldest prepared transaction, by Postgres's clock (0: none; -1: cannot read)",
    registers,
    async collect() {
      this.set((await prepared())?.oldestAgeSeconds ?? -1);
    },
  });
  new Gauge({
    name: 'trx_broker_connected',
    help: 'Whether the RabbitMQ connection and its confirm channel are open (1) or not (0)',
    registers,
    collect() {
      this.set(sources.broker.isConnected() ? 1 : 0);
    },
  });
}
