// `kokpit render`: the meta-cluster objects a BusinessCluster or EtcdCluster produces, with no cluster. A
// BusinessCluster goes through the cluster reconciler's own render parts (operators/cluster/render/control-plane.ts)
// in step order, after the same defaulting (withDefaults) and catalog check (checkCatalog). The catalog is the
// KubernetesVersion and Addon documents given (the input file, `--catalog`) ahead of kokpit's default one.
// Facts only a live cluster knows are stood in for, and said so: key material (placeholder Secrets, so the
// Deployments' secrets-hash annotations differ from live ones), the uid (owner references), the Service type of
// `Auto` (NodePort: no load balancer is known offline) and its ClusterIP and endpoint (only inside Secrets).
import type { KubeObject } from '../operators/cluster/render/common';
import {
  withDefaults,
  type Addon,
  type BusinessCluster,
  type DefaultedBusinessCluster,
  type EtcdCluster,
  type KubernetesVersion,
} from '../api';
import { defaultAddons, defaultKubernetesVersions } from '../catalog';
import { names } from '../operators/cluster/names';
import { resolveAddonVersion } from '../operators/cluster/addon-versions';
import { renderControlPlane } from '../operators/cluster/render/control-plane';
import { etcdPrefix } from '../operators/cluster/render/etcd';
import type { ServiceType } from '../operators/cluster/render/inputs';
import { inClusterEndpoint } from '../operators/cluster/render/pki';
import { checkCatalog } from '../operators/cluster/versions';
import { clientEndpoint, memberName, memberPeerURL } from '../operators/etcd/names';
import {
  renderCASecret,
  renderClientSecret,
  renderClientService,
  renderMemberClaim,
  renderMemberPod,
  renderMemberSecret,
  renderPeerService,
  secretHash,
} from '../operators/etcd/render';

export const PLACEHOLDER = 'PLACEHOLDER (rendered offline by kokpit render; the operator issues real key material)';
/** Marks every object render stands in for (the uid is fake, Secrets hold placeholders). */
export const RENDERED_ANNOTATION = 'kokpit.dev/rendered-offline';
export const RENDER_UID = '00000000-0000-0000-0000-000000000000';

export interface RenderResult {
  objects: KubeObject[];
  notes: string[];
}

/** The versions and addon definitions render checks a cluster against, as the reconciler reads them from the meta cluster. */
export interface RenderCatalog {
  versions: KubernetesVersion[];
  addons: Addon[];
}

export const defaultRenderCatalog = (): RenderCatalog => ({ versions: defaultKubernetesVersions(), addons: defaultAddons() });

/**
 * The KubernetesVersion and Addon documents among `docs`, ahead of `base`: one given for a version (or addon name)
 * the base has replaces it, as `kokpit versions add` / `kokpit addons import` would in a meta cluster.
 */
export function catalogWith(docs: Array<Record<string, unknown>>, base: RenderCatalog = defaultRenderCatalog()): RenderCatalog {
  const versions = docs.filter((d) => d.kind === 'KubernetesVersion').map((d) => withDefaults(d as unknown as KubernetesVersion));
  const addons = docs.filter((d) => d.kind === 'Addon').map((d) => withDefaults(d as unknown as Addon));
  const given = new Set(versions.map((v) => v.spec.version));
  const named = new Set(addons.map((a) => a.metadata.name));
  return {
    versions: [...versions, ...base.versions.filter((v) => !given.has(v.spec.version))],
    addons: [...addons, ...base.addons.filter((a) => !named.has(a.metadata.name))],
  };
}

function withUid<T extends { metadata: { uid?: string; name: string } }>(o: T): T {
  return { ...o, metadata: { ...o.metadata, uid: o.metadata.uid ?? RENDER_UID } };
}

const markPlaceholder = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [RENDERED_ANNOTATION]: 'placeholder-data' } },
});

/** The serviceType the reconciler picks, as far as it can be known offline. */
export function offlineServiceType(c: DefaultedBusinessCluster): ServiceType {
  const wanted = c.spec.apiServer.service.type;
  return wanted === 'Auto' ? 'NodePort' : wanted;
}

export function renderBusinessCluster(input: BusinessCluster, catalog: RenderCatalog = defaultRenderCatalog()): RenderResult {
  const c = withDefaults(withUid({ ...input, metadata: { namespace: 'default', ...input.metadata } }));
  const name = c.metadata.name;
  const ns = c.metadata.namespace!;
  // The catalog step's own verdict and words (a version that is there but not usable is refused too).
  const verdict = checkCatalog(c.spec.version, catalog.versions);
  if (!verdict.ok) throw new Error(`BusinessCluster ${name}: ${verdict.message}`);
  const target = verdict.release;
  const notes: string[] = [];
  const etcdName = c.spec.etcd.managed ? names.etcd(name) : c.spec.etcd.clusterRef!.name;
  if (c.spec.etcd.managed)
    notes.push(`EtcdCluster ${etcdName} is then reconciled by the etcd operator (\`kokpit render\` of it shows its objects)`);
  else notes.push(`etcd: the shared EtcdCluster ${etcdName}, keys under ${etcdPrefix(c)}`);
  const serviceType = offlineServiceType(c);
  if (c.spec.apiServer.service.type === 'Auto')
    notes.push('Service type Auto rendered as NodePort (LoadBalancer when the meta cluster assigns load-balancer addresses)');

  const objects = renderControlPlane(
    c,
    // A new cluster: nothing runs yet, so every component gets the requested version (planVersions' first step).
    {
      target,
      releases: { apiServer: target, controllerManager: target, scheduler: target },
      etcdServers: clientEndpoint({ name: etcdName, namespace: ns }),
      serviceType,
    },
    { hostEndpoint: inClusterEndpoint(c) },
    (s) => Object.fromEntries(s.keys.map((k) => [k, PLACEHOLDER])),
  ).map((o) => (o.kind === 'Secret' ? markPlaceholder(o) : o));
  notes.push(
    "Secrets hold placeholders; the Deployments' kokpit.dev/secrets-hash annotations are computed from them, " +
      "so they differ from a live cluster's",
  );
  for (const ref of c.spec.addons ?? []) {
    try {
      const def = resolveAddonVersion(ref, catalog.addons);
      notes.push(`addon ${ref.name} ${def.spec.version}: applied inside the business cluster, not shown`);
    } catch (e) {
      notes.push(
        `${(e as Error).message}: the cluster would report AddonsReady=False (${(e as { reason?: string }).reason ?? 'AddonFailed'})`,
      );
    }
  }
  if (!c.spec.addons?.length)
    notes.push('Bootstrap objects are applied inside the business cluster, not the meta cluster; they are not shown');
  else notes.push('Bootstrap objects and addons are applied inside the business cluster, not the meta cluster; they are not shown');
  return { objects, notes };
}

export function renderEtcdCluster(input: EtcdCluster): RenderResult {
  // The schema's defaults first, as for a BusinessCluster (a file may leave spec.version to its default).
  const c = withDefaults(withUid({ ...input, metadata: { namespace: 'default', ...input.metadata } }));
  const ref = { name: c.metadata.name, namespace: c.metadata.namespace! };
  const seed = memberName(ref, 0);
  const memberFiles = {
    'ca.crt': PLACEHOLDER,
    'server.crt': PLACEHOLDER,
    'server.key': PLACEHOLDER,
    'peer.crt': PLACEHOLDER,
    'peer.key': PLACEHOLDER,
  };
  const objects: KubeObject[] = [
    markPlaceholder(renderCASecret(c, { certPem: PLACEHOLDER, keyPem: PLACEHOLDER }) as unknown as KubeObject),
    markPlaceholder(
      renderClientSecret(c, { 'ca.crt': PLACEHOLDER, 'tls.crt': PLACEHOLDER, 'tls.key': PLACEHOLDER }) as unknown as KubeObject,
    ),
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
  const notes = [
    `the seed member ${seed} as first created; the etcd operator then adds members one at a time up to ${c.spec.replicas} ` +
      `(each as a learner first)`,
  ];
  return { objects, notes };
}

export function renderDocument(doc: { kind?: string }, catalog: RenderCatalog = defaultRenderCatalog()): RenderResult {
  if (doc.kind === 'BusinessCluster') return renderBusinessCluster(doc as BusinessCluster, catalog);
  if (doc.kind === 'EtcdCluster') return renderEtcdCluster(doc as EtcdCluster);
  throw new Error(`kokpit render handles BusinessCluster and EtcdCluster, not ${doc.kind ?? 'a document without kind'}`);
}
