import type { Request, Router } from 'express';
import { ServiceTokenVerifier } from '@trx/auth';
import type { Registry } from 'prom-client';
import { registerService } from '@trx/discovery';
import { createLogger, type Logger } from '@trx/logging';
import { Participant } from '@trx/participant';
import { httpLimitsOf, type CommonConfig, type ParticipantConfig } from './config-keys';
import { participantErrors, type ErrorMapper } from './error-handler';
import type { ReadinessCheck } from './health-routes';
import { createRegistry, startHttpServer, type HttpServer } from './http-server';
import {
  connectInfrastructure,
  participantReadinessChecks,
  type Infrastructure,
  type ServiceDatabase,
} from './participant-infrastructure';
import type { RunningApp, StartOptions } from './running-app';
import { StopSteps, type StopStep } from './stop-steps';

export type ParticipantServiceConfig = CommonConfig & ParticipantConfig;

/** What a participant service's routes (and whatever else it runs) are built from. */
export interface ServiceContext<C extends ParticipantServiceConfig> extends Infrastructure {
  config: C;
  logger: Logger;
  participant: Participant;
  registry: Registry;
  /** Who is calling, by service token (identifyCaller has run before the routes: see callerOf). */
  callers: ServiceTokenVerifier;
  /** A step for stop(): runs after the HTTP server closed, before the participant stops. */
  onStop(step: StopStep): void;
}

export interface ParticipantServiceOptions<C extends ParticipantServiceConfig>
  extends ServiceDatabase, StartOptions {
  /** Discovery name: queue, registration, logs, metrics label. */
  service: string;
  config: C;
  /** Called once the participant runs; may start more (e.g. an outbox relay) and add stop steps. */
  routes: (ctx: ServiceContext<C>) => Router | Router[] | Promise<Router | Router[]>;
  /** Tried before the participant runtime's and the domain errors' answers. */
  errorMappers?: ErrorMapper[];
  /** Readiness checks beside database, broker and coordinator. */
  checks?: Record<string, ReadinessCheck>;
  /** Largest JSON body (default 64kb). */
  jsonLimit?: string;
  /** The message of the 404 of an unknown route (default "no such route"). */
  notFoundMessage?: (req: Request) => string;
  /** See HttpServerOptions.requestMetrics (default true). */
  requestMetrics?: boolean;
}

export type RunningParticipantService = RunningApp & { participant: Participant };

/**
 * Starts a participant service (account-, product- and order-service): database (created and migrated), broker, coordinator client,
 * participant runtime (decision consumer + recovery), HTTP API, discovery registration.
 * `stop()` undoes it in reverse order, letting requests and branches in flight finish.
 */
export async function startParticipantService<C extends ParticipantServiceConfig>(
  o: ParticipantServiceOptions<C>,
): Promise<RunningParticipantService> {
  const { config, service } = o;
  const logger =
    o.logger ?? createLogger({ service, level: config.logLevel, base: { instance: config.instanceId } });
  const steps = new StopSteps(logger);
  const stop = () => steps.runAll();
  try {
    const infra = await connectInfrastructure(config, o, logger, steps);
    const registry = createRegistry(service);
    const participant = await Participant.start({
      service,
      instance: config.instanceId,
      dataSource: infra.dataSource,
      coordinator: infra.coordinator,
      broker: infra.broker,
      logger,
      recoveryIntervalMs: config.recoveryIntervalMs,
      prefetch: config.prefetch,
      coordinatorBrokerUser: config.coordinatorBrokerUser,
      clock: o.clock,
      metricsRegistry: registry,
      maxPreparedBranches: config.maxPreparedBranches,
      retentionMs: config.retentionMs,
      retentionIntervalMs: config.retentionIntervalMs,
      retentionBatch: config.retentionBatch,
    });
    steps.push(() => participant.stop());
    const onStop = (step: StopStep) => steps.push(step);
    const callers = new ServiceTokenVerifier(config.trustedCallers);
    const routes = await o.routes({ ...infra, config, logger, participant, registry, callers, onStop });
    const http = await startHttpServer({
      host: config.host,
      port: config.port,
      logger,
      routes,
      registry,
      checks: { ...participantReadinessChecks(config, infra), ...o.checks },
      errorMappers: [...(o.errorMappers ?? []), participantErrors],
      callers,
      limits: httpLimitsOf(config),
      jsonLimit: o.jsonLimit,
      notFoundMessage: o.notFoundMessage,
      requestMetrics: o.requestMetrics,
    });
    steps.push(() => http.close(config.shutdownTimeoutMs));
    await register(service, config, http, logger, steps);
    logger.info({ port: http.port }, `${service} started`);
    return { port: http.port, url: http.url, participant, stop };
  } catch (err) {
    logger.error({ err }, 'start failed');
    await stop();
    throw err;
  }
}

/** Registration in Consul (nothing without CONSUL_URL), health-checked on /health/ready. */
async function register(
  service: string,
  config: CommonConfig,
  http: HttpServer,
  logger: Logger,
  steps: StopSteps,
): Promise<void> {
  const registration = await registerService({
    consulUrl: config.consulUrl,
    consulToken: config.consulToken,
    service,
    instanceId: config.instanceId,
    address: config.advertiseAddress,
    port: http.port,
    healthPath: '/health/ready',
    logger,
  });
  steps.push(() => registration.deregister());
}
