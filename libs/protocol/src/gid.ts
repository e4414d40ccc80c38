/**
 * Global ids of prepared transactions. A gid is unique in the whole Postgres cluster and
 * at most 200 bytes, so it names the service, the transaction and a branch key:
 * `trx:<service>:<transactionId>:<branchKey>`.
 */
export const GID_PREFIX = 'trx';
const MAX_GID_BYTES = 200;
const SERVICE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface ParsedGid {
  service: string;
  transactionId: string;
  branchKey: string;
}

export function makeGid(service: string, transactionId: string, branchKey: string): string {
  if (!SERVICE_PATTERN.test(service)) throw new Error(`invalid service name for a gid: ${service}`);
  const gid = `${GID_PREFIX}:${service}:${transactionId}:${branchKey}`;
  if (Buffer.byteLength(gid) > MAX_GID_BYTES)
    throw new Error(`gid longer than ${MAX_GID_BYTES} bytes: ${gid}`);
  return gid;
}

/** The prefix that every gid of a service starts with; recovery lists prepared transactions by it. */
export function gidPrefix(service: string): string {
  return `${GID_PREFIX}:${service}:`;
}

export function parseGid(gid: string): ParsedGid | undefined {
  const parts = gid.split(':');
  if (parts.length !== 4 || parts[0] !== GID_PREFIX) return undefined;
  const [, service, transactionId, branchKey] = parts;
  if (!service || !transactionId || !branchKey) return undefined;
  return { service, transactionId, branchKey };
}
