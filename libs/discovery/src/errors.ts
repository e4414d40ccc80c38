/**
 * Errors of @trx/discovery. Check them by `name` (two copies of the library can exist in a
 * workspace, so `instanceof` alone is not enough), with guards such as `isNoInstances`;
 * `retryable` says whether trying again later can succeed without a change of configuration.
 */
export class NoInstancesError extends Error {
  override readonly name = 'NoInstancesError';
  readonly retryable = true;
  constructor(readonly service: string) {
    super(`no healthy instance of ${service} is known`);
  }
}

/**
 * The Consul agent could not be asked for a service's instances and no recent answer is kept.
 * Retryable: the agent may be restarting.
 */
export class DiscoveryUnavailableError extends Error {
  override readonly name = 'DiscoveryUnavailableError';
  readonly retryable = true;
  constructor(
    readonly service: string,
    readonly consulUrl: string,
    override readonly cause?: unknown,
  ) {
    super(`cannot look up ${service} in Consul at ${consulUrl}: ${describe(cause)}`);
  }
}

/**
 * The agent refused the registration (bad token, invalid definition): retrying the same request
 * cannot help, so it is not retryable. Unreachable agents are retried in the background instead.
 */
export class RegistrationRejectedError extends Error {
  override readonly name = 'RegistrationRejectedError';
  readonly retryable = false;
  constructor(
    readonly instanceId: string,
    readonly statusCode: number | undefined,
    override readonly cause?: unknown,
  ) {
    super(`Consul refused to register ${instanceId} (status ${statusCode ?? 'none'}): ${describe(cause)}`);
  }
}

/** A Consul address that is not an http(s) URL; a configuration error. */
export class InvalidConsulUrlError extends Error {
  override readonly name = 'InvalidConsulUrlError';
  readonly retryable = false;
  constructor(readonly consulUrl: string) {
    super(`CONSUL_URL must be an http(s) URL such as http://127.0.0.1:8500, got "${consulUrl}"`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** No healthy instance of the service is known (NoInstancesError, by name). */
export function isNoInstances(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'NoInstancesError';
}
