import type { Logger } from '@trx/logging';
import { staticDirectory, type ServiceDirectory } from './service-directory';

export interface DirectoryOptions {
  /** Consul agent HTTP address (`http://127.0.0.1:8500`); empty → static map. */
  consulUrl?: string;
  consulToken?: string;
  /** service name → base URLs, used when no Consul address is given. */
  staticServices: Record<string, string[]>;
  logger?: Logger;
}

/** Consul when an address is configured, the static map otherwise. */
export function createDirectory(options: DirectoryOptions): ServiceDirectory {
  // TODO(discovery issue): Consul-backed directory.
  return staticDirectory(options.staticServices);
}

export interface RegistrationOptions {
  consulUrl?: string;
  consulToken?: string;
  service: string;
  instanceId: string;
  address: string;
  port: number;
  tags?: string[];
  /** Path of the readiness endpoint Consul checks. */
  healthPath?: string;
  logger?: Logger;
}

export interface Registration {
  deregister(): Promise<void>;
}

/** Registers the instance with the Consul agent (and keeps it registered); a no-op without Consul. */
export async function registerService(_options: RegistrationOptions): Promise<Registration> {
  return { async deregister() {} };
}
