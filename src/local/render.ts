// `kokpit render`: the meta-cluster objects a BusinessCluster or EtcdCluster produces, with no cluster,
// from the same pure renderers the reconcilers apply. Facts only a live cluster knows are stood in for,
// and said so: key material (placeholder Secrets, so the Deployments' secrets-hash annotations differ from
// live ones), the uid (owner references), the Service type of `Auto` (NodePort: no load balancer is known
// offline) and its ClusterIP, and the catalog (kokpit's default one).
import type { KubeObject } from '../operators/cluster/render/common';
import { contentHash } from '../kit';
import type { BusinessCluster, EtcdCluster, KubernetesVersion } from '../api';
import { defaultKubernetesVersions } from '../catalog';
import { names, type CertPurpose, type KubeconfigPurpose } from '../operators/cluster/names';
import { renderAPIServerDeployment, renderAPIServerService } from '../operators/cluster/render/apiserver';
import { renderControllerManagerDeployment, renderSchedulerDeployment } from '../operators/cluster/render/controllers';
import { etcdPrefix, renderManagedEtcd } from '../operators/cluster/render/etcd';
import { specOf, type ControlPlaneInputs, type ServiceType } from '../operators/cluster/render/inputs';
import { renderSecret } from '../operators/cluster/render/pki';
import { clientEndpoint, memberName, memberPeerURL } from '../operators/etcd/names';
import {
  renderCASecret, renderClientSecret, renderClientService, renderMemberClaim, renderMemberPod, renderMemberSecret, renderPeerService, secretHash,
} from '../operators/etcd/render';

export const PLACEHOLDER = 'PLACEHOLDER (rendered offline by kokpit render; the operator issues real key material)';
/** Marks every object render stands in for (the uid is fake, Secrets hold placeholders). */
export const RENDERED_ANNOTATION = 'kokpit.dev/rendered-offline';
export const RENDER_UID = '00000000-0000-0000-0000-000000000000';

export interface RenderResult {
  objects: KubeObject[];
  notes: string[];
}

function withUid<T extends { metadata: { uid?: string; name: string } }>(o: T): T {
  return { ...o, metadata: { ...o.metadata, uid: o.metadata.uid ?? RENDER_UID } };
}

const markPlaceholder = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [RENDERED_ANNOTATION]: 'placeholder-data' } } });

/** The serviceType the reconciler picks, as far as it can be known offline. */
export function offlineServiceType(c: BusinessCluster): ServiceType {
  const wanted = specOf(c).apiServer.service.type;
  return wanted === 'Auto' ? 'NodePort' : wanted;
}

export function renderBusinessCluster(input: BusinessCluster, catalog: KubernetesVersion[] = defaultKubernetesVersions()): RenderResult {
  const c = withUid({ ...input, metadata: { namespace: 'default', ...input.metadata } });
  const name = c.metadata.name;
  const ns = c.metadata.namespace!;
  const release = catalog.find((v) => v.spec.version === c.spec.version)?.spec;
  if (!release) throw new Error(`BusinessCluster ${name}: version ${c.spec.version} is not in the catalog (${catalog.map((v) => v.spec.version).join(', ')})`);
  const notes: string[] = [];
  const objects: KubeObject[] = [];

  let etcdServers: string;
  if (c.spec.etcd.managed) {
    const etcd = renderManagedEtcd(c, release.etcd.recommendedVersion);
    objects.push(etcd as unknown as KubeObject);
    etcdServers = clientEndpoint({ name: etcd.metadata.name, namespace: ns });
    notes.push(`EtcdCluster ${etcd.metadata.name} is then reconciled by the etcd operator (\`kokpit render\` of it shows its objects)`);
  } else {
    etcdServers = clientEndpoint({ name: c.spec.etcd.clusterRef!.name, namespace: ns });
    notes.push(`etcd: the shared EtcdCluster ${c.spec.etcd.clusterRef!.name}, keys under ${etcdPrefix(c)}`);
  }
  const serviceType = offlineServiceType(c);
  objects.push(renderAPIServerService({ cluster: c, serviceType }));
  if (specOf(c).apiServer.service.type === 'Auto') notes.push('Service type Auto rendered as NodePort (LoadBalancer when the meta cluster assigns load-balancer addresses)');

  // The Secrets the PKI step writes (same names and keys), with placeholder values.
  const secrets: KubeObject[] = [];
  const tls = (key = false) => ({ 'tls.crt': PLACEHOLDER, 'tls.key': PLACEHOLDER, ...(key ? { 'ca.crt': PLACEHOLDER } : {}) });
  for (const purpose of ['ca', 'front-proxy-ca'] as CertPurpose[]) secrets.push(renderSecret(c, names.cert(name, purpose), purpose, tls(), { type: 'kubernetes.io/tls' }));
  secrets.push(renderSecret(c, names.serviceAccountKeys(name), 'sa', { 'sa.key': PLACEHOLDER, 'sa.pub': PLACEHOLDER }));
  for (const purpose of ['apiserver-serving', 'apiserver-kubelet-client', 'front-proxy-client', 'apiserver-etcd-client'] as CertPurpose[]) {
    secrets.push(renderSecret(c, names.cert(name, purpose), purpose, tls(purpose === 'apiserver-etcd-client'), { type: 'kubernetes.io/tls' }));
  }
  for (const purpose of ['admin', 'controller-manager', 'scheduler'] as KubeconfigPurpose[]) {
    secrets.push(renderSecret(c, names.kubeconfig(name, purpose), `${purpose}-kubeconfig`, { value: PLACEHOLDER }));
  }
  const secretHashes = Object.fromEntries(secrets.map((s) => [s.metadata.name, contentHash((s as { data?: unknown }).data ?? {})]));
  objects.push(...secrets.map(markPlaceholder));

  const inputs: ControlPlaneInputs = {
    cluster: c,
    releases: { apiServer: release, controllerManager: release, scheduler: release },
    etcd: { servers: etcdServers, prefix: etcdPrefix(c) },
    serviceType,
    secretHashes,
  };
  objects.push(renderAPIServerDeployment(inputs), renderControllerManagerDeployment(inputs), renderSchedulerDeployment(inputs));
  notes.push('Secrets hold placeholders; the Deployments\' kokpit.dev/secrets-hash annotations are computed from them, so they differ from a live cluster\'s');
  notes.push('Addons and bootstrap objects are applied inside the business cluster, not the meta cluster; they are not shown');
  return { objects, notes };
}

export function renderEtcdCluster(input: EtcdCluster): RenderResult {
  const c = withUid({ ...input, metadata: { namespace: 'default', ...input.metadata } });
  const ref = { name: c.metadata.name, namespace: c.metadata.namespace! };
  const seed = memberName(ref, 0);
  const memberFiles = { 'ca.crt': PLACEHOLDER, 'server.crt': PLACEHOLDER, 'server.key': PLACEHOLDER, 'peer.crt': PLACEHOLDER, 'peer.key': PLACEHOLDER };
  const objects: KubeObject[] = [
    markPlaceholder(renderCASecret(c, { certPem: PLACEHOLDER, keyPem: PLACEHOLDER }) as unknown as KubeObject),
    markPlaceholder(renderClientSecret(c, { 'ca.crt': PLACEHOLDER, 'tls.crt': PLACEHOLDER, 'tls.key': PLACEHOLDER }) as unknown as KubeObject),
    markPlaceholder(renderMemberSecret(c, seed, memberFiles) as unknown as KubeObject),
    renderPeerService(c) as unknown as KubeObject,
    renderClientService(c) as unknown as KubeObject,
    renderMemberClaim(c, seed) as unknown as KubeObject,
    renderMemberPod(c, {
      member: seed,
      version: c.spec.version,
      initialCluster: [{ name: seed, peerURL: memberPeerURL(ref, seed) }],
      state: 'new',
      secretHash: secretHash({ ...memberFiles }),
    }) as unknown as KubeObject,
  ];
  const notes = [`the seed member ${seed} as first created; the etcd operator then adds members one at a time up to ${c.spec.replicas} (each as a learner first)`];
  return { objects, notes };
}

export function renderDocument(doc: { kind?: string }): RenderResult {
  if (doc.kind === 'BusinessCluster') return renderBusinessCluster(doc as BusinessCluster);
  if (doc.kind === 'EtcdCluster') return renderEtcdCluster(doc as EtcdCluster);
  throw new Error(`kokpit render handles BusinessCluster and EtcdCluster, not ${doc.kind ?? 'a document without kind'}`);
}
