/**
 * @trx/discovery — find services by name. With a Consul address, apps register with the
 * agent and look up passing instances; without one, a static map from configuration is
 * used. Callers can't tell the two apart.
 *
 * @example
 *   const directory = staticDirectory({ 'transaction-server': ['http://127.0.0.1:8888'] });
 *   const caller = createServiceCaller({ directory });
 *   const res = await caller.request('transaction-server', { method: 'GET', url: '/health/ready' });
 */
export * from './service-directory';
export * from './service-caller';
export * from './errors';
export * from './registration';
