/**
 * FakeConsul's response bodies, in the shapes Consul's API documentation gives for
 * GET /v1/agent/service/:service_id (a service definition) and GET /v1/health/service/:service
 * (one { Node, Service, Checks } entry per instance, the node's serfHealth check included).
 */
import type { ConsulState, FakeRegistration } from './fake-consul-routes';

const NODE = 'fake-consul-node';

export function service(r: FakeRegistration) {
  return {
    ID: r.id,
    Service: r.name,
    Tags: r.tags,
    Address: r.address,
    Meta: (r.body.Meta as Record<string, string> | undefined) ?? {},
    Port: r.port,
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
    Datacenter: 'dc1',
  };
}

export function healthEntry(state: ConsulState, r: FakeRegistration) {
  const check = (r.body.Check as { Name?: string; CheckID?: string } | undefined) ?? {};
  const base = { Node: NODE, Notes: '', CreateIndex: r.createIndex, ModifyIndex: state.index };
  return {
    Node: {
      ID: '40e4a748-2192-161a-0510-9bf59fe950b5',
      Node: NODE,
      Address: state.nodeAddress,
      Datacenter: 'dc1',
    },
    Service: { ...service(r), CreateIndex: r.createIndex, ModifyIndex: state.index },
    Checks: [
      {
        ...base,
        CheckID: 'serfHealth',
        Name: 'Serf Health Status',
        Status: 'passing',
        Output: 'Agent alive and reachable',
        ServiceID: '',
        ServiceName: '',
        ServiceTags: [],
        Type: '',
      },
      {
        ...base,
        CheckID: check.CheckID ?? `service:${r.id}`,
        Name: check.Name ?? `Service '${r.name}' check`,
        Status: r.status,
        Output: '',
        ServiceID: r.id,
        ServiceName: r.name,
        ServiceTags: r.tags,
        Type: 'http',
      },
    ],
  };
}
