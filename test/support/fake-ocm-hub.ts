// A meta cluster with the Open Cluster Management hub, as `kokpit deploy` and "Deploy to Clusters…" talk to it: a small
// HTTP server that answers discovery, the namespace and ManagedClusterSet reads and the ManagedCluster list, and
// records every PATCH (server-side apply) with its field manager. Used by test/unit/cli/deploy.test.ts and
// test/unit/extension-model/deploy-to-clusters.test.ts.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const RESOURCES: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
  '/api/v1': [{ name: 'namespaces', kind: 'Namespace', namespaced: false }],
  '/apis/cluster.open-cluster-management.io/v1': [{ name: 'managedclusters', kind: 'ManagedCluster', namespaced: false }],
  '/apis/cluster.open-cluster-management.io/v1beta1': [{ name: 'placements', kind: 'Placement', namespaced: true }],
  '/apis/cluster.open-cluster-management.io/v1beta2': [
    { name: 'managedclustersets', kind: 'ManagedClusterSet', namespaced: false },
    { name: 'managedclustersetbindings', kind: 'ManagedClusterSetBinding', namespaced: true },
  ],
  '/apis/work.open-cluster-management.io/v1alpha1': [{ name: 'manifestworkreplicasets', kind: 'ManifestWorkReplicaSet', namespaced: true }],
};

export interface FakeHub {
  url: string;
  patches: { path: string; fieldManager: string | null; body: { kind: string } }[];
  close(): Promise<void>;
}

/** The hub: `ocm` false serves no OCM group (not installed); the ManagedClusters carry env=dev, env=dev, env=prod. */
export async function fakeHub(ocm = true): Promise<FakeHub> {
  const patches: FakeHub['patches'] = [];
  const existing = new Set(['/api/v1/namespaces/default', '/apis/cluster.open-cluster-management.io/v1beta2/managedclustersets/global']);
  const mc = (name: string, env: string) => ({
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name, labels: { env } },
  });
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      const send = (code: number, body: unknown) => {
        res.statusCode = code;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      };
      const notFound = () =>
        send(404, { kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: `${u.pathname} not found` });
      const served = RESOURCES[u.pathname];
      if (req.method === 'GET' && served && (ocm || u.pathname === '/api/v1'))
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: u.pathname.replace(/^\/apis?\//, ''),
          resources: served.map((r) => ({ ...r, verbs: ['get', 'list', 'patch'] })),
        });
      if (req.method === 'GET' && ocm && u.pathname === '/apis/cluster.open-cluster-management.io/v1/managedclusters')
        return send(200, {
          apiVersion: 'cluster.open-cluster-management.io/v1',
          kind: 'ManagedClusterList',
          metadata: {},
          items: [mc('fleet-a', 'dev'), mc('fleet-b', 'dev'), mc('fleet-c', 'prod')],
        });
      if (req.method === 'GET' && existing.has(u.pathname)) return send(200, { metadata: { name: path.basename(u.pathname) } });
      if (req.method === 'PATCH') {
        const body = JSON.parse(text);
        patches.push({ path: u.pathname, fieldManager: u.searchParams.get('fieldManager'), body });
        return send(200, body);
      }
      notFound();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, patches, close: () => new Promise((r) => server.close(() => r())) };
}

/** A kubeconfig (YAML) for the fake hub. */
export const fakeHubKubeconfig = (url: string) =>
  `apiVersion: v1\nkind: Config\nclusters: [{name: f, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\n` +
  'users: [{name: u, user: {token: t}}]\n' +
  'contexts: [{name: f, context: {cluster: f, user: u}}]\ncurrent-context: f\n';
