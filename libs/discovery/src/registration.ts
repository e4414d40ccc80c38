import { PeriodicJob, silentLogger, type Logger } from '@trx/logging';
import { createConsulClient, statusOf, type ConsulClient, type ServiceDefinition } from './consul-client';
import { RegistrationRejectedError } from './errors';

export interface RegistrationOptions {
  /** Consul agent HTTP address; empty → registration is a no-op (static discovery). */
  consulUrl?: string;
  /** Consul ACL token; needs service:write on the service name. */
  consulToken?: string;
  service: string;
  /** Unique per replica; becomes the Consul service ID. */
  instanceId: string;
  /** Address other services and the agent's health check use to reach this instance. */
  address: string;
  port: number;
  tags?: string[];
  meta?: Record<string, string>;
  /** Path of the readiness endpoint Consul checks (default `/health/ready`). */
  healthPath?: string;
  /** Consul check timings, as Consul durations (defaults `10s`, `5s`, `1m`). */
  checkInterval?: string;
  checkTimeout?: string;
  deregisterCriticalAfter?: string;
  /** How often to verify the agent still knows this instance and register it again if not (default 10 s). */
  resyncIntervalMs?: number;
  /** Timeout of one request to the agent (default 5 s). */
  requestTimeoutMs?: number;
  logger?: Logger;
}

export interface Registration {
  /** Stops keeping the registration and removes it from the agent. Idempotent; never throws. */
  deregister(): Promise<void>;
}

/**
 * Registers the instance with the Consul agent and keeps it registered: every resyncIntervalMs it
 * asks the agent for its own service ID and registers again on 404 (the agent restarted and lost
 * it). A no-op without a Consul address. Throws RegistrationRejectedError when the agent refuses
 * the registration (4xx: bad token or definition); an unreachable agent is only logged, and the
 * resync loop registers as soon as it answers, so an app need not wait for Consul to start.
 */
export async function registerService(options: RegistrationOptions): Promise<Registration> {
  if (!options.consulUrl) return { async deregister() {} };
  const logger = (options.logger ?? silentLogger()).child({
    component: 'discovery',
    service: options.service,
    instanceId: options.instanceId,
  });
  const consul = createConsulClient(options.consulUrl, options.consulToken, options.requestTimeoutMs);
  const definition = serviceDefinition(options);
  try {
    await consul.register(definition);
    logger.info({ check: definition.check.http }, 'registered with consul');
  } catch (err) {
    const status = statusOf(err);
    if (status !== undefined && status >= 400 && status < 500) {
      consul.close();
      throw new RegistrationRejectedError(options.instanceId, status, err);
    }
    logger.warn({ err }, 'consul agent unreachable; registering when it answers');
  }
  const keeper = keepRegistered(consul, definition, options.resyncIntervalMs ?? 10_000, logger);
  let deregistered = false;
  return {
    async deregister() {
      if (deregistered) return;
      deregistered = true;
      await keeper.stop(); // a resync in flight must not register again after the deregistration
      try {
        const known = await consul.deregister(options.instanceId);
        logger.info({ known }, 'deregistered from consul');
      } catch (err) {
        // DeregisterCriticalServiceAfter removes it once its check has failed long enough.
        logger.warn({ err }, 'consul deregistration failed');
      } finally {
        consul.close();
      }
    },
  };
}

function serviceDefinition(options: RegistrationOptions): ServiceDefinition {
  const host = options.address.includes(':') ? `[${options.address}]` : options.address;
  return {
    name: options.service,
    id: options.instanceId,
    address: options.address,
    port: options.port,
    tags: options.tags ?? [],
    ...(options.meta ? { meta: options.meta } : {}),
    check: {
      name: `${options.service} readiness`,
      http: `http://${host}:${options.port}${options.healthPath ?? '/health/ready'}`,
      interval: options.checkInterval ?? '10s',
      timeout: options.checkTimeout ?? '5s',
      deregistercriticalserviceafter: options.deregisterCriticalAfter ?? '1m',
    },
  };
}

/** The resync loop: its timers never keep the process alive, and it is stopped before deregistering. */
function keepRegistered(
  consul: ConsulClient,
  definition: ServiceDefinition,
  everyMs: number,
  logger: Logger,
): PeriodicJob<void> {
  async function resync(): Promise<void> {
    if (await consul.hasService(definition.id)) return;
    await consul.register(definition);
    logger.warn('consul agent had lost this instance; registered again');
  }
  // A failed resync is logged by the job, and the next one retries.
  return new PeriodicJob({
    name: 'consul registration check',
    round: resync,
    intervalMs: everyMs,
    logger,
  }).start();
}
