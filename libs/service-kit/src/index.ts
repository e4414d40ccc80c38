/**
 * @trx/service-kit — the plumbing every trx service shares, in one copy: the common and
 * participant configuration keys, the HTTP server (JSON bodies, /health/live,
 * /health/ready, /metrics, graceful close), typed errors as `{ error, message, details? }`
 * answers, the process entry point, money in integer cents, and `startParticipantService`,
 * which starts a whole participant app around its routes. Options in, never `process.env`.
 *
 * @example
 *   // config.ts
 *   export const configSpec = {
 *     ...commonConfigKeys({ service: 'account-service', port: 8081, database: 'trx_account' }),
 *     ...participantConfigKeys(),
 *   };
 *   // start.ts
 *   export const start = (config: AppConfig, options: StartOptions = {}) =>
 *     startParticipantService({
 *       ...options, service: 'account-service', config,
 *       entities: accountEntities, migrations: [InitialSchema1732300000000],
 *       routes: ({ dataSource, participant }) => accountRoutes(dataSource, participant),
 *     });
 *   // main.ts
 *   runMain({
 *     service: 'account-service',
 *     loadConfig: () => loadAppConfig(process.env),
 *     start: (config, logger) => start(config, { logger }),
 *   });
 */
export {
  commonConfigKeys,
  participantConfigKeys,
  retentionConfigKeys,
  DEFAULT_SERVICE_URLS,
  httpLimitsOf,
  assertParticipantRetention,
  type CommonKeysOptions,
  type CommonConfig,
  type ParticipantConfig,
} from './config-keys';
export {
  createRegistry,
  listenHttp,
  startHttpServer,
  type HttpServer,
  type HttpServerOptions,
  type ListenOptions,
} from './http-server';
export { healthRoutes, ignoredChecks, type ReadinessCheck } from './health-routes';
export { allowCallers, callerOf, identifyCaller, refuseUnauthenticated, requireCaller } from './caller-auth';
export {
  createBoundedServer,
  listenOn,
  requestDeadline,
  DEFAULT_HTTP_LIMITS,
  type HttpLimits,
} from './http-limits';
export {
  encodeCursor,
  decodeCursor,
  pageOf,
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  type Page,
} from './page-cursor';
export {
  answerFor,
  errorHandler,
  httpLayerAnswer,
  participantErrors,
  type ErrorMapper,
  type HttpAnswer,
} from './error-handler';
export { ServiceError, InvalidRequestError } from './service-errors';
export { parseRequest, transactionIdOf } from './request-parsing';
export {
  branchRequestOf,
  runForRequest,
  runStatementsForRequest,
  oneTripFor,
  rowsUnlessRefused,
  type OneTrip,
  type BranchRequest,
  type BranchRunner,
  type StatementsRunner,
} from './branch-request';
export { runMain, type MainConfig, type MainOptions } from './main-runner';
export { StopSteps, type StopStep } from './stop-steps';
export type { RunningApp, StartOptions } from './running-app';
export {
  startPeriodic,
  PeriodicJob,
  realTimers,
  type JobTimers,
  type PeriodicJobOptions,
} from './periodic-job';
export {
  createServiceDataSource,
  boundedPoolOptions,
  connectInfrastructure,
  participantReadinessChecks,
  type Infrastructure,
  type ServiceDatabase,
  type SessionBounds,
} from './participant-infrastructure';
export {
  startParticipantService,
  type ParticipantServiceConfig,
  type ParticipantServiceOptions,
  type RunningParticipantService,
  type ServiceContext,
} from './participant-service';
export { MAX_CENTS, amountOf, centsFromDecimal, centsOf, decimalOf } from './money';
export {
  OutboxRelay,
  type OutboxMessage,
  type OutboxPublisher,
  type OutboxRelayOptions,
  type OutboxStore,
} from './outbox-relay';
