/**
 * @trx/discovery — find services by name. With a Consul address, apps register with the
 * agent and look up passing instances; without one, a static map from configuration is
 * used. Callers can't tell the two apart.
 *
 * @example
 *   const directory = createDirectory({ consulUrl, consulToken, staticServices, logger });
 *   const registration = await registerService({ consulUrl, consulToken, service: 'account-service',
 *     instanceId, address, port, tags: [], healthPath: '/health/ready', logger });
 *   const caller = createServiceCaller({ directory, timeoutMs: 5000 });
 *   const res = await caller.request('transaction-server', { method: 'GET', url: '/health/ready' });
 *   // on stop: await registration.deregister(); await caller.close(); await directory.close();
 */
export * from './service-directory';
export * from './service-caller';
export * from './errors';
export * from './registration';
export { createDirectory, consulDirectory, type DirectoryOptions } from './consul-directory';
