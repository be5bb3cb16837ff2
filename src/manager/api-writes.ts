// kokpit_api_writes_total{kind,verb,subresource}: every write the manager's clients send to the meta API server,
// counted as the request leaves (src/kube observeRequests), so a dashboard sees a reconciler that rewrites what
// did not change. The API server's own count (its audit log) is what tests trust; they compare the two.
import { Counter, type Registry } from 'prom-client';
import { KINDS } from '../api/kinds';
import { writeRequest, type RequestObserver } from '../kube';

// The built-in kinds the manager writes (config/rbac/role.yaml); anything else is labelled with its resource.
const BUILTIN: Record<string, string> = {
  pods: 'Pod',
  secrets: 'Secret',
  services: 'Service',
  events: 'Event',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  configmaps: 'ConfigMap',
  namespaces: 'Namespace',
  serviceaccounts: 'ServiceAccount',
  deployments: 'Deployment',
  leases: 'Lease',
};
const KIND_OF = new Map<string, string>([...Object.entries(BUILTIN), ...KINDS.map((k) => [k.plural, k.kind] as const)]);
// Reviews are asked with a POST but store nothing: not writes.
const REVIEWS = new Set(['tokenreviews', 'subjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

export function apiWritesObserver(registry: Registry): RequestObserver {
  const writes = new Counter({
    name: 'kokpit_api_writes_total',
    help: 'Writes sent to the meta API server by the manager, by kind, verb and subresource',
    labelNames: ['kind', 'verb', 'subresource'],
    registers: [registry],
  });
  return (method, path) => {
    const w = writeRequest(method, path);
    if (!w || REVIEWS.has(w.resource)) return;
    writes.inc({ kind: KIND_OF.get(w.resource) ?? w.resource, verb: w.verb, subresource: w.subresource });
  };
}
