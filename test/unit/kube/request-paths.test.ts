// Which write an API request is, from its method and path, as the API server's request info resolver reads it.
import * as assert from 'node:assert/strict';
import { writeRequest } from '../../../src/kube';

describe('kube: writeRequest (method + path → verb, group, resource, subresource)', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['PATCH', '/apis/kokpit.dev/v1alpha1/namespaces/ns/businessclusters/bc/status', 'patch kokpit.dev/businessclusters/status'],
    ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/api', 'patch apps/deployments'],
    ['POST', '/api/v1/namespaces/ns/events', 'create /events'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kokpit-system/leases/kokpit-manager', 'update coordination.k8s.io/leases'],
    ['DELETE', '/api/v1/namespaces/ns/pods/p-0', 'delete /pods'],
    ['DELETE', '/api/v1/namespaces/ns/pods', 'deletecollection /pods'],
    ['POST', '/api/v1/namespaces', 'create /namespaces'],
    ['PUT', '/api/v1/namespaces/ns/finalize', 'update /namespaces/finalize'],
    ['DELETE', '/api/v1/namespaces/ns', 'delete /namespaces'],
    ['PATCH', '/api/v1/nodes/n1/status', 'patch /nodes/status'],
    ['POST', '/apis/authentication.k8s.io/v1/tokenreviews', 'create authentication.k8s.io/tokenreviews'],
    ['GET', '/apis/kokpit.dev/v1alpha1/businessclusters', undefined],
    ['POST', '/version', undefined],
    ['POST', '/apis/kokpit.dev', undefined],
  ];
  for (const [method, path, want] of cases)
    it(`${method} ${path}`, () => {
      const w = writeRequest(method, path);
      assert.equal(w && `${w.verb} ${w.group}/${w.resource}${w.subresource ? `/${w.subresource}` : ''}`, want);
    });
});
