import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '@trx/logging';
import type { CoordinatorApi } from '@trx/protocol';
import { assertCanPrepare } from '@trx/db';
import { runBranch, runLocal, type BranchRunnerOptions } from './branch-runner';
import { createBranchTable } from './branch-sql';
import { decisionHandler } from './decision-consumer';
import { openFinisher } from './branch-finisher';
import { recoverOnce, type RecoveryReport } from './recovery';
import { ParticipantStoppedError, messageOf } from './errors';
import type { ConsumerHandle, ParticipantBroker } from './ports';
import { ParticipantMetrics } from './participant-metrics';
import type { Registry } from 'prom-client';

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
  /** prom-client registry of the service; the runtime's `trx_participant_*` metrics go there. */
  metricsRegistry?: Registry;
}

/** A service's part in distributed transactions: runs branches, applies decisions, recovers. */
export class Participant {
  readonly recovery: { runOnce(): Promise<RecoveryReport> };
  readonly decisionQueue: string;
  private consumer: ConsumerHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private recovering: Promise<unknown> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private readonly metrics: ParticipantMetrics;
  private stopped = false;

  private constructor(
    private readonly options: ParticipantOptions,
    /** Applies decisions on connections of its own: see openFinisher. */
    private readonly finisher: DataSource,
    decisionQueue: string,
  ) {
    this.decisionQueue = decisionQueue;
    this.metrics = new ParticipantMetrics(options.metricsRegistry);
    this.recovery = { runOnce: () => this.recoverSerialized() };
  }

  /** Checks the database can prepare, creates trx_branch, consumes decisions, recovers once. */
  static async start(options: ParticipantOptions): Promise<Participant> {
    const { dataSource, broker, service } = options;
    const [{ db }] = (await dataSource.query('SELECT current_database() AS db')) as [{ db: string }];
    await assertCanPrepare(
      { query: async (sql, params) => ({ rows: await dataSource.query(sql, params) }) },
      db,
    );
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
    participant.schedule();
    return participant;
  }

  /** Runs `work` as a branch of `transactionId`; resolves with work's result after the yes-vote is recorded by the coordinator. */
  runBranch<T>(transactionId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.track(() =>
      this.metrics.timeBranch(() => runBranch(this.runnerOptions(), transactionId, work)),
    );
  }

  /** No transaction id: plain local transaction, committed at once (the baseline path). */
  runLocal<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.track(() => runLocal(this.options.dataSource, work));
  }

  /** runBranch when transactionId is given, runLocal otherwise. */
  run<T>(transactionId: string | undefined, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return transactionId ? this.runBranch(transactionId, work) : this.runLocal(work);
  }

  /** Stops consuming and recovering, and waits for branches in flight. Leaves the DataSource and broker open. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.consumer?.cancel().catch((err) => {
      this.options.logger.warn({ err: messageOf(err) }, 'could not cancel the decision consumer');
    });
    await Promise.allSettled([...this.inFlight, this.recovering]);
    await this.finisher.destroy();
  }

  private async consumeDecisions(): Promise<void> {
    const { service, coordinator, logger, broker } = this.options;
    const handler = decisionHandler({
      service,
      dataSource: this.finisher,
      coordinator,
      logger,
      retryDelayMs: this.options.decisionRetryDelayMs ?? 1000,
      signal: this.abort.signal,
      onFinished: (decision, result) =>
        this.metrics.decisionApplied(decision, result.outcome, result.changed),
    });
    this.consumer = await broker.consume(this.decisionQueue, handler, {
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
    return { service, instance, dataSource, finisher: this.finisher, coordinator, logger };
  }

  /** One recovery round at a time: a caller during a round gets a fresh round after it. */
  private recoverSerialized(): Promise<RecoveryReport> {
    const { service, coordinator, logger } = this.options;
    const round = () =>
      recoverOnce({
        service,
        dataSource: this.finisher,
        coordinator,
        logger,
        clock: this.options.clock ?? (() => new Date()),
        minAgeMs: this.options.recoveryMinAgeMs ?? 5000,
      }).then((report) => {
        this.metrics.recoveryRound(report);
        return report;
      });
    const next = (this.recovering ?? Promise.resolve()).then(round, round);
    this.recovering = next.catch(() => undefined);
    return next;
  }

  private schedule(): void {
    const interval = this.options.recoveryIntervalMs ?? 10_000;
    if (this.stopped || interval <= 0) return;
    this.timer = setTimeout(() => {
      this.recovery
        .runOnce()
        .catch((err) => this.options.logger.warn({ err: messageOf(err) }, 'recovery round failed'))
        .finally(() => this.schedule());
    }, interval);
    this.timer.unref();
  }
}
