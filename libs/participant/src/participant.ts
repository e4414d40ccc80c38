import type { DataSource, EntityManager } from 'typeorm';
import type { Registry } from 'prom-client';
import { PeriodicJob, type Logger } from '@trx/logging';
import type { CoordinatorApi, Decision } from '@trx/protocol';
import { assertCanPrepare } from '@trx/db';
import type { QueryResult } from 'pg';
import { runBranch, runLocal, type BranchOptions, type BranchRunnerOptions } from './branch-runner';
import { runStatementsAsBranch, runStatementsLocally, type BranchStatement } from './statements-branch';
import { assertBranchOf, createBranchTable, summarizePrepared } from './branch-sql';
import { decisionHandler } from './decision-consumer';
import type { FinishResult } from './branch-finisher';
import { openFinisher, type FinisherPool } from './finisher-pool';
import { FinishingBranches } from './finishing-branches';
import { OutcomeBatcher } from './outcome-batcher';
import { recoverOnce, type RecoveryReport } from './recovery';
import { ensureRetentionIndex, retainOnce, type RetentionReport } from './branch-retention';
import { ParticipantStoppedError, messageOf } from './errors';
import type { ConsumerHandle, ParticipantBroker } from './ports';
import { ParticipantMetrics } from './participant-metrics';
import { PreparedGauge } from './prepared-cap';

export interface ParticipantOptions {
  /** e.g. 'account-service'; gids are makeGid(service, transactionId, randomKey). */
  service: string;
  instance: string;
  /** TypeORM, the service's own database (already initialized). */
  dataSource: DataSource;
  coordinator: CoordinatorApi;
  /** From @trx/messaging, already connected. */
  broker: ParticipantBroker;
  logger: Logger;
  /** Period of recovery; default 10000. 0 = only the round at start. */
  recoveryIntervalMs?: number;
  /** Unacknowledged decisions per consumer; default 32. */
  prefetch?: number;
  clock?: () => Date;
  /** Recovery leaves branches younger than this alone (they may still be voting); default 5000. */
  recoveryMinAgeMs?: number;
  /** Wait before a decision the database could not take goes back to the queue; default 1000. */
  decisionRetryDelayMs?: number;
  /** Connections of the runtime's own pool that applies decisions; default 2. */
  finisherPoolSize?: number;
  /** Most acknowledgements in one `POST /v1/outcomes`; default 500. */
  maxOutcomeBatch?: number;
  /**
   * How long acknowledgements gather before a call goes out; default 1000 (see OutcomeBatcher).
   * Lazy on purpose: fewer, larger calls, and nothing waits on them — the coordinator
   * re-publishes a decision whose acknowledgement is lost or late, and recovery finishes
   * what even that misses. Lower it where the coordinator should see transactions end sooner.
   */
  outcomeLingerMs?: number;
  /** prom-client registry of the service; the runtime's `trx_participant_*` metrics and `trx_broker_connected` go there. */
  metricsRegistry?: Registry;
  /**
   * The coordinator's broker user: a decision message is acted on only when its AMQP
   * `user_id` (validated by RabbitMQ) is this user; any other is dead-lettered. Default
   * `trx-coordinator`.
   */
  coordinatorBrokerUser?: string;
  /**
   * Branches of this service prepared at once, across its replicas (default 0 = no cap but
   * max_prepared_transactions): past it a branch votes no with TooManyPreparedError (503)
   * before preparing, so one service can't take every prepared slot of the cluster. A soft
   * cap: the check runs only while this process's gauge puts the service at half of it or
   * its last reading is a second old (prepared-cap, CAP_CHECK_RULE), so other replicas'
   * prepares since that reading can push past it — as prepares racing the check always
   * could. max_prepared_transactions stays the hard limit (53200, the same
   * TooManyPreparedError); keep the services' caps summed below it.
   */
  maxPreparedBranches?: number;
  /**
   * trx_branch rows are deleted this long after they were written, and a branch still
   * prepared after it is an alarm (default 7 days; docs/architecture.md, "Retention").
   */
  retentionMs?: number;
  /** Period of the retention job; default 60000, 0 = only when asked (retention.runOnce). */
  retentionIntervalMs?: number;
  /** Rows one retention statement deletes at most; default 500. */
  retentionBatch?: number;
}

/** Default `outcomeLingerMs`. */
export const DEFAULT_OUTCOME_LINGER_MS = 1000;

/** The broker user of the coordinator in the credentials model (docs/security.md#broker). */
export const DEFAULT_COORDINATOR_BROKER_USER = 'trx-coordinator';

/** A service's part in distributed transactions: runs branches, applies decisions, recovers. */
export class Participant {
  readonly recovery: { runOnce(): Promise<RecoveryReport> };
  readonly retention: { runOnce(): Promise<RetentionReport> };
  readonly decisionQueue: string;
  private consumer: ConsumerHandle | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private readonly metrics: ParticipantMetrics;
  /** This process's count of the service's prepared branches: which prepares carry the cap's check. */
  private readonly preparedGauge: PreparedGauge;
  private readonly batcher: OutcomeBatcher;
  private readonly branches: FinishingBranches;
  private readonly recoveryLoop: PeriodicJob<RecoveryReport>;
  private readonly retentionLoop: PeriodicJob<RetentionReport>;
  private stopped = false;

  private constructor(
    private readonly options: ParticipantOptions,
    /** Applies decisions on connections of its own: see openFinisher. */
    private readonly finisher: FinisherPool,
    decisionQueue: string,
  ) {
    const { service, coordinator, logger } = options;
    const clock = options.clock ?? (() => new Date());
    this.decisionQueue = decisionQueue;
    this.preparedGauge = new PreparedGauge(options.maxPreparedBranches ?? 0, () => clock().getTime());
    this.metrics = new ParticipantMetrics(options.metricsRegistry, {
      broker: options.broker,
      // A scrape's count is a reading of the gauge too.
      prepared: () => this.preparedGauge.measure(() => summarizePrepared(options.dataSource, service)),
    });
    this.batcher = new OutcomeBatcher({
      coordinator,
      logger,
      maxBatch: options.maxOutcomeBatch,
      lingerMs: options.outcomeLingerMs ?? DEFAULT_OUTCOME_LINGER_MS,
      onSent: (report) => this.metrics.outcomesSent(report),
    });
    this.branches = new FinishingBranches({
      db: finisher,
      logger,
      batcher: this.batcher,
      onEnded: () => this.preparedGauge.finishedOne(),
    });
    const minAgeMs = options.recoveryMinAgeMs ?? 5000;
    const recovery = { service, db: finisher, branches: this.branches, coordinator, logger, clock, minAgeMs };
    this.recoveryLoop = new PeriodicJob({
      name: 'recovery',
      round: async () => {
        const report = await recoverOnce(recovery);
        this.metrics.recoveryRound(report);
        return report;
      },
      intervalMs: options.recoveryIntervalMs ?? 10_000,
      logger,
    });
    const retention = {
      service,
      db: finisher,
      logger,
      clock,
      retentionMs: options.retentionMs ?? 7 * 24 * 3600_000,
      batch: options.retentionBatch ?? 500,
    };
    this.retentionLoop = new PeriodicJob({
      name: 'retention',
      round: async () => {
        const report = await retainOnce(retention);
        this.metrics.retentionRound(report);
        return report;
      },
      intervalMs: options.retentionIntervalMs ?? 60_000,
      logger,
    });
    this.retention = { runOnce: () => this.retentionLoop.runOnce() };
    this.recovery = { runOnce: () => this.recoveryLoop.runOnce() };
  }

  /** Checks the database can prepare, creates trx_branch, consumes decisions, recovers once. */
  static async start(options: ParticipantOptions): Promise<Participant> {
    const { dataSource, broker, service } = options;
    const [{ db }] = (await dataSource.query('SELECT current_database() AS db')) as [{ db: string }];
    const maxPrepared = await assertCanPrepare(
      { query: async (sql, params) => ({ rows: await dataSource.query(sql, params) }) },
      db,
    );
    if ((options.maxPreparedBranches ?? 0) >= maxPrepared) {
      options.logger.warn(
        { maxPreparedBranches: options.maxPreparedBranches, maxPreparedTransactions: maxPrepared },
        "the service's cap of prepared branches is not below max_prepared_transactions: it can starve the others",
      );
    }
    await createBranchTable(dataSource);
    const queue = await broker.declareDecisionQueue(service);
    const finisher = await openFinisher(dataSource, options.finisherPoolSize ?? 2);
    const participant = new Participant(options, finisher, queue);
    try {
      await participant.consumeDecisions();
    } catch (err) {
      await finisher.destroy().catch(() => undefined);
      throw err;
    }
    await participant.recovery.runOnce().catch((err) => {
      options.logger.warn({ err: messageOf(err) }, 'recovery at start failed; the next round retries');
    });
    participant.recoveryLoop.start();
    await ensureRetentionIndex(dataSource, options.logger);
    participant.retentionLoop.start();
    return participant;
  }

  /**
   * Runs `work` as a branch of `transactionId`; resolves with its result once prepared and the
   * yes-vote recorded — or, `enlistedByCaller`, once prepared (the caller enlists the gid from `onPrepared`).
   */
  runBranch<T>(
    transactionId: string,
    work: (manager: EntityManager) => Promise<T>,
    options?: BranchOptions,
  ): Promise<T> {
    return this.track(() =>
      this.metrics.timeBranch(() => runBranch(this.runnerOptions(), transactionId, work, options)),
    );
  }

  /**
   * runBranch for work that is known statements, in one round trip: BEGIN, the statements and
   * the branch's closing ones (row, PREPARE, reset) in one write. Resolves with the statements'
   * results. Needs a DataSource made with `{ driver: pgDriver() }` (@trx/db), as the services' are.
   */
  runStatementsAsBranch(
    transactionId: string,
    statements: readonly BranchStatement[],
    options?: BranchOptions,
  ): Promise<QueryResult[]> {
    return this.track(() =>
      this.metrics.timeBranch(() =>
        runStatementsAsBranch(this.runnerOptions(), transactionId, statements, options),
      ),
    );
  }

  /**
   * runStatementsAsBranch when transactionId is given; otherwise the statements as one local
   * transaction, also in one round trip. Work that must stop when it finds nothing to do says
   * so with `trx_expect(ok, reason)` in its SQL: SQLSTATE TRX02 (PgCodes.expectationFailed),
   * and nothing after it runs — no PREPARE, no commit.
   */
  runStatements(
    transactionId: string | undefined,
    statements: readonly BranchStatement[],
    options?: BranchOptions,
  ): Promise<QueryResult[]> {
    if (transactionId) return this.runStatementsAsBranch(transactionId, statements, options);
    return this.track(() => runStatementsLocally(this.options.dataSource, statements));
  }

  /** No transaction id: plain local transaction, committed at once (the baseline path). */
  runLocal<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.track(() => runLocal(this.options.dataSource, work));
  }

  /** runBranch when transactionId is given, runLocal otherwise. */
  run<T>(
    transactionId: string | undefined,
    work: (manager: EntityManager) => Promise<T>,
    options?: BranchOptions,
  ): Promise<T> {
    return transactionId ? this.runBranch(transactionId, work, options) : this.runLocal(work);
  }

  /**
   * Applies the decision the coordinator answered to a branch this service prepared and its
   * caller enlisted as `finishedByCaller` (no decision message comes for it): COMMIT/ROLLBACK
   * PREPARED on the runtime's pool, then the acknowledgement, batched. Idempotent: a branch
   * already finished resolves with `changed: false`, and a decision message for the same
   * gid meanwhile waits for this finish instead of racing it.
   */
  finish(transactionId: string, gid: string, decision: Decision): Promise<FinishResult> {
    return this.track(async () => {
      const ids = assertBranchOf(this.options.service, transactionId, gid);
      const result = await this.branches.finish(ids, decision);
      this.metrics.decisionApplied(decision, result.outcome, result.changed);
      return result;
    });
  }

  /**
   * Rolls back an enlisted branch whose caller went away before hearing of it (nobody can
   * enlist it now); the coordinator never knew it, so nothing is acknowledged.
   */
  abandon(transactionId: string, gid: string): Promise<FinishResult> {
    return this.track(async () => {
      const ids = assertBranchOf(this.options.service, transactionId, gid);
      this.options.logger.info({ ...ids }, 'caller went away before hearing of the branch: rolling it back');
      return this.branches.finish(ids, 'rollback', false);
    });
  }

  /** Stops consuming and recovering, waits for work in flight, sends queued acknowledgements; leaves DataSource and broker open. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.consumer?.cancel().catch((err) => {
      this.options.logger.warn({ err: messageOf(err) }, 'could not cancel the decision consumer');
    });
    await Promise.allSettled([...this.inFlight, this.recoveryLoop.stop(), this.retentionLoop.stop()]);
    await this.batcher.flush();
    await this.finisher.destroy();
  }

  private async consumeDecisions(): Promise<void> {
    const { service, logger, broker } = this.options;
    const coordinatorUser = this.options.coordinatorBrokerUser ?? DEFAULT_COORDINATOR_BROKER_USER;
    const handler = decisionHandler({
      service,
      coordinatorUser,
      branches: this.branches,
      broker,
      logger,
      retryDelayMs: this.options.decisionRetryDelayMs ?? 1000,
      signal: this.abort.signal,
      onFinished: (decision, result) =>
        this.metrics.decisionApplied(decision, result.outcome, result.changed),
      onRejected: (reason) => this.metrics.decisionRejected(reason),
    });
    logger.info(
      { queue: this.decisionQueue, coordinatorUser },
      'consuming decisions published by the coordinator user',
    );
    this.consumer = await broker.consume(this.decisionQueue, (message) => this.watch(handler(message)), {
      prefetch: this.options.prefetch ?? 32,
    });
  }

  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new ParticipantStoppedError());
    return this.watch(fn());
  }

  /** Remembers work in flight, so stop() can wait for it before closing the finisher pool. */
  private watch<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  private runnerOptions(): BranchRunnerOptions {
    const { service, instance, dataSource, coordinator, logger } = this.options;
    const { finisher, preparedGauge } = this;
    return { service, instance, dataSource, finisher, coordinator, logger, preparedGauge };
  }
}
