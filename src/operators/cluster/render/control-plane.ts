// The meta-cluster objects of a business cluster, as the reconciler's steps apply them: one render part per
// step, each a pure function of the defaulted cluster and the facts the steps before it found out (catalog
// entries, etcd endpoint, Service type, Secret hashes). The reconciler applies each part when its facts are
// known; `kokpit render` (local/render.ts) runs them all in step order with stand-in facts, so what it prints
// cannot drift from what the operator applies.
import type { DefaultedBusinessCluster, EtcdCluster, KubernetesVersionSpec } from '../../../api';
import { renderAPIServerDeployment, renderAPIServerService } from './apiserver';
import { contentHash, type KubeObject } from './common';
import { renderControllerManagerDeployment, renderSchedulerDeployment } from './controllers';
import { etcdPrefix, renderManagedEtcd } from './etcd';
import type { ControlPlaneInputs, ServiceType } from './inputs';
import { konnectivityEnabled, renderEgressSelectorSecret } from './konnectivity';
import { pkiSecrets, renderSecret, type PKIFacts } from './pki';

/** What the steps find out before they render, by the step that finds it. */
export interface ControlPlaneFacts {
  /** catalog: the requested version's entry, and the entry each component runs this pass (they differ during an upgrade). */
  target: KubernetesVersionSpec;
  releases: ControlPlaneInputs['releases'];
  /** etcd: the client URLs of the cluster's etcd. */
  etcdServers: string;
  /** apiserver-service: the Service type `Auto` resolved to. */
  serviceType: ServiceType;
  /** pki: content hash of every Secret, by name. */
  secretHashes: Record<string, string>;
  /** Set when nodes reach the apiserver at an address the apiserver cannot publish itself (see ControlPlaneInputs). */
  kubernetesEndpoint?: ControlPlaneInputs['kubernetesEndpoint'];
}

function inputs(c: DefaultedBusinessCluster, f: ControlPlaneFacts): ControlPlaneInputs {
  return {
    cluster: c,
    releases: f.releases,
    etcd: { servers: f.etcdServers, prefix: etcdPrefix(c) },
    serviceType: f.serviceType,
    secretHashes: f.secretHashes,
    ...(f.kubernetesEndpoint ? { kubernetesEndpoint: f.kubernetesEndpoint } : {}),
  };
}

/** The render part of each step that applies meta-cluster objects, keyed by step name (reconciler.ts). */
export const controlPlaneParts = {
  /** A dedicated EtcdCluster for `spec.etcd.managed`; nothing for a shared one. */
  etcd: (c: DefaultedBusinessCluster, f: Pick<ControlPlaneFacts, 'target'>): EtcdCluster[] =>
    c.spec.etcd.managed ? [renderManagedEtcd(c, f.target.etcd.recommendedVersion)] : [],
  'apiserver-service': (c: DefaultedBusinessCluster, f: Pick<ControlPlaneFacts, 'serviceType'>): KubeObject[] => [
    renderAPIServerService({ cluster: c, serviceType: f.serviceType }),
  ],
  /** The Secrets with the given values (`values(secret)` → key → plain value); the PKI step issues the real ones. */
  pki: (c: DefaultedBusinessCluster, f: PKIFacts, values: (s: { name: string; keys: string[] }) => Record<string, string>): KubeObject[] =>
    pkiSecrets(c, f).map((s) => renderSecret(c, s.name, s.purpose, values(s), { type: s.type })),
  /** The Deployment first; with egress Konnectivity, then its egress-selector Secret (the step applies that first). */
  apiserver: (c: DefaultedBusinessCluster, f: ControlPlaneFacts): KubeObject[] => [
    renderAPIServerDeployment(inputs(c, f)),
    ...(konnectivityEnabled(c) ? [renderEgressSelectorSecret(c)] : []),
  ],
  controllers: (c: DefaultedBusinessCluster, f: ControlPlaneFacts): KubeObject[] => {
    const i = inputs(c, f);
    return [renderControllerManagerDeployment(i), renderSchedulerDeployment(i)];
  },
};

/**
 * Every part in step order: the meta-cluster objects a full pass applies, given the facts and the Secrets'
 * values (the Deployments' secrets-hash annotations are computed from those values, as the PKI step does).
 */
export function renderControlPlane(
  c: DefaultedBusinessCluster,
  f: Omit<ControlPlaneFacts, 'secretHashes'>,
  pki: PKIFacts,
  values: Parameters<typeof controlPlaneParts.pki>[2],
): KubeObject[] {
  const secrets = controlPlaneParts.pki(c, pki, values);
  const facts = { ...f, secretHashes: Object.fromEntries(secrets.map((s) => [s.metadata.name, contentHash(s.data ?? {})])) };
  return [
    ...(controlPlaneParts.etcd(c, f) as unknown as KubeObject[]),
    ...controlPlaneParts['apiserver-service'](c, f),
    ...secrets,
    ...controlPlaneParts.apiserver(c, facts),
    ...controlPlaneParts.controllers(c, facts),
  ];
}
