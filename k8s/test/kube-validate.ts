/**
 * Validates rendered objects against the Kubernetes API schemas of the `kubernetes-models`
 * packages (and `@kubernetes-models/prometheus-operator` for ServiceMonitor and PrometheusRule).
 * Those schemas check types, required fields, enums and formats; like the API's OpenAPI
 * documents they allow unknown fields: kube-strict.ts catches those.
 *
 * @example
 *   validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: {} }); // []
 */
import type { K8sObject } from './chart-render';

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

function modelClass(apiVersion: string, kind: string): ModelClass {
  const modulePath = apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`
    : `kubernetes-models/${apiVersion}/${kind}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as Record<string, ModelClass>;
  const found = mod[kind];
  if (!found) throw new Error(`${modulePath} has no ${kind}`);
  return found;
}

/** The schema errors of one object ("Kind/name: message"); [] when it is valid. */
export function validateObject(obj: K8sObject): string[] {
  const where = `${obj.kind}/${obj.metadata?.name}`;
  let Model: ModelClass;
  try {
    Model = modelClass(obj.apiVersion, obj.kind);
  } catch (err) {
    return [`${where}: no schema for ${obj.apiVersion} ${obj.kind} (${(err as Error).message})`];
  }
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}
