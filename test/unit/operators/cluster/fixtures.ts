// Fixed inputs for the renderer golden tests: nothing here depends on the clock or randomness.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { withDefaults, type BusinessCluster, type DefaultedBusinessCluster } from '../../../../src/api';
import { kubernetesVersion } from '../../../../src/catalog';
import type { ControlPlaneInputs } from '../../../../src/operators/cluster/render/inputs';

export function cluster(overrides: Partial<BusinessCluster['spec']> = {}): DefaultedBusinessCluster {
  return withDefaults({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name: 'prod', namespace: 'team-a', uid: '11111111-2222-3333-4444-555555555555', generation: 3 },
    spec: {
      version: 'v1.33.13',
      etcd: { clusterRef: { name: 'shared' } },
      apiServer: {
        replicas: 2,
        service: { type: 'NodePort', nodePort: 31443 },
        certSANs: ['api.prod.example', '203.0.113.7'],
        extraArgs: { v: '2', 'audit-log-maxage': '7' },
      },
      controllerManager: { replicas: 1, extraArgs: { 'node-monitor-grace-period': '40s' } },
      scheduler: { replicas: 1, resources: { requests: { cpu: '100m' } } },
      network: { serviceCIDR: '10.96.0.0/12', podCIDR: '10.244.0.0/16', dnsDomain: 'cluster.local' },
      ...overrides,
    } as BusinessCluster['spec'],
  } as BusinessCluster);
}

export const HASHES: Record<string, string> = Object.fromEntries(
  [
    'ca',
    'apiserver-serving',
    'apiserver-kubelet-client',
    'front-proxy-ca',
    'front-proxy-client',
    'sa',
    'apiserver-etcd-client',
    'admin-kubeconfig',
    'controller-manager-kubeconfig',
    'scheduler-kubeconfig',
  ].map((p, i) => [`prod-${p}`, `hash${String(i).padStart(12, '0')}`]),
);

export function inputs(c = cluster(), hashes = HASHES): ControlPlaneInputs {
  const r = kubernetesVersion(c.spec.version).spec;
  return {
    cluster: c,
    releases: { apiServer: r, controllerManager: r, scheduler: r },
    etcd: { servers: 'https://shared-client.team-a.svc:2379', prefix: '/kokpit/team-a/prod' },
    serviceType: 'NodePort',
    secretHashes: hashes,
  };
}

const GOLDEN_DIR = path.join(__dirname, 'golden');

/** Compares `value` (as YAML) with golden/<name>.yaml; `UPDATE_GOLDEN=1` rewrites the file instead. */
export function assertGolden(name: string, value: unknown): void {
  const file = path.join(GOLDEN_DIR, `${name}.yaml`);
  const text = stringify(value, { lineWidth: 0, sortMapEntries: false });
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.writeFileSync(file, text);
    return;
  }
  if (!fs.existsSync(file)) assert.fail(`golden/${name}.yaml is missing (UPDATE_GOLDEN=1 writes it; review it before committing)`);
  assert.equal(text, fs.readFileSync(file, 'utf8'), `rendered ${name} differs from golden/${name}.yaml (UPDATE_GOLDEN=1 to accept)`);
}

/** No ISO timestamps, no random-looking ids beyond the fixture's own. */
export function assertDeterministicText(value: unknown): void {
  const text = JSON.stringify(value);
  assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no timestamps in rendered output');
}
