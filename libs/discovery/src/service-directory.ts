/** Finds the healthy instances of a service by name. */
export interface ServiceDirectory {
  /** Base URLs (`http://host:port`, no trailing slash) of the instances that may receive calls now. */
  instances(service: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Discovery from configuration: a fixed map of service name → URLs. The one-machine default. */
export function staticDirectory(map: Record<string, string[]>): ServiceDirectory {
  return {
    async instances(service) {
      return map[service] ?? [];
    },
    async close() {},
  };
}
