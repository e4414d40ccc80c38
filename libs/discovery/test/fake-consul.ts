/**
 * A stand-in for a Consul agent, for tests only: no Consul binary can be installed on these
 * machines. It serves the part of Consul's HTTP API that @trx/discovery uses, written from
 * Consul's API documentation (developer.hashicorp.com/consul/api-docs: agent/service, health,
 * features/blocking) and its response shapes:
 *
 *   PUT /v1/agent/service/register           records the body; the check starts `initialStatus`
 *   PUT /v1/agent/service/deregister/{id}    404 "Unknown service ID" when unknown
 *   GET /v1/agent/service/{id}               the service definition, 404 when unknown
 *   GET /v1/health/service/{name}[?passing]  [{ Node, Service, Checks }], a blocking query with
 *                                            `index`/`wait`, answered with `X-Consul-Index`
 *
 * ACL: with `aclToken`, requests must carry it (X-Consul-Token, `Authorization: Bearer` or
 * `?token=`), otherwise 403 as Consul answers. Test controls: setHealth() flips an instance's
 * check, forgetAll() drops every registration as an agent restart does. One raft-like index
 * counts every change, so a change to any service wakes every blocking query, as in Consul.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bump, handleRequest, type ConsulState, type FakeRegistration } from './fake-consul-routes';

export type { FakeRegistration, CheckStatus } from './fake-consul-routes';

export interface FakeConsulOptions {
  /** Required ACL token; none → ACLs disabled. */
  aclToken?: string;
  /**
   * Status of a new service check. A real agent starts it critical and runs the probe at once; the
   * fake does not probe, so it starts passing unless a test says otherwise (or the body sets Status).
   */
  initialStatus?: 'passing' | 'critical';
  /** The node's address, used by clients when a service registers an empty Address. */
  nodeAddress?: string;
  /** Port to listen on (default: any free port); reuse a stopped fake's port to restart "the agent". */
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  token: string | undefined;
}

export class FakeConsul {
  private constructor(
    private readonly server: http.Server,
    private readonly state: ConsulState,
    readonly url: string,
  ) {}

  static async start(options: FakeConsulOptions = {}): Promise<FakeConsul> {
    const state: ConsulState = {
      index: 1,
      registrations: new Map(),
      requests: [],
      waiters: new Set(),
      aclToken: options.aclToken,
      initialStatus: options.initialStatus ?? 'passing',
      nodeAddress: options.nodeAddress ?? '127.0.0.1',
    };
    const server = http.createServer((req, res) => handleRequest(state, req, res));
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new FakeConsul(server, state, `http://127.0.0.1:${port}`);
  }

  /** Registered instances by service ID; `body` is the JSON the client sent. */
  get registrations(): ReadonlyMap<string, FakeRegistration> {
    return this.state.registrations;
  }

  /** Every request received, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.state.requests;
  }

  /** The current X-Consul-Index. */
  get index(): number {
    return this.state.index;
  }

  /** Sets the status of an instance's check, as the agent does when its probe passes or fails. */
  setHealth(id: string, status: 'passing' | 'warning' | 'critical'): void {
    const registration = this.state.registrations.get(id);
    if (!registration) throw new Error(`fake consul: no service with ID ${id}`);
    registration.status = status;
    bump(this.state);
  }

  /** Forgets every registration, as an agent restarted without its data does. */
  forgetAll(): void {
    this.state.registrations.clear();
    bump(this.state);
  }

  async stop(): Promise<void> {
    for (const wake of this.state.waiters) wake();
    this.state.waiters.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
