// Whose object is it? Every name a BusinessCluster derives is `<cluster>-<suffix>`, so two clusters of one namespace
// can derive the same name (`x` + `front-proxy-ca` = `x-front-proxy` + `ca`). Renaming live Secrets would re-issue
// certificates, so names stay as they are and the operator refuses to write or delete an object that is not its
// own: a collision stops the second cluster with NameConflict, and the first one keeps its objects untouched.
import type { KubernetesObject } from '@kubernetes/client-node';
import { caSecretName } from '../../api/etcd-names';
import { Applier } from '../../kit';
import { names, type CertPurpose, type KubeconfigPurpose } from './names';

export const CLUSTER_LABEL = 'kokpit.dev/cluster';

/** A write or delete the operator refused because the object belongs to someone else. */
export class NameConflictError extends Error {
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly owner: string,
    cluster: string,
  ) {
    super(`${kind} ${objectName} belongs to ${owner}, not to BusinessCluster ${cluster}; it is left as it is`);
  }
}

/**
 * Who owns `live` if not the cluster `self` (undefined: it is the cluster's own). Its own: the controller owner
 * reference is the cluster's uid, or (owner reference removed by hand) no controller at all and the cluster's
 * label. Everything else is someone else's: another controller (another cluster, an EtcdCluster), a live object
 * labelled for another cluster, or an object nobody marked (a user's Secret, a hand-made EtcdCluster).
 */
export function foreignOwner(live: KubernetesObject, self: { name: string; uid: string }): string | undefined {
  const controller = live.metadata?.ownerReferences?.find((r) => r.controller);
  if (controller) return controller.uid === self.uid ? undefined : `${controller.kind} ${controller.name} (uid ${controller.uid})`;
  const label = live.metadata?.labels?.[CLUSTER_LABEL];
  if (label === self.name) return undefined;
  return label !== undefined
    ? `BusinessCluster ${label}`
    : 'no BusinessCluster (no controller owner reference, no kokpit.dev/cluster label)';
}

/**
 * The cluster operator's applier in the meta cluster: it never takes over an object that `foreignOwner` says is
 * someone else's. The check uses the object just read (no extra request); an object created by another owner
 * between that read and the apply is still refused, by the API server (two controller owner references).
 */
export class OwnedApplier extends Applier {
  override async ensureAgainst<T extends KubernetesObject>(desired: T, live: T | undefined): Promise<T> {
    const self = desired.metadata?.ownerReferences?.find((r) => r.controller);
    if (live && self) {
      const other = foreignOwner(live, self);
      if (other) throw new NameConflictError(desired.kind!, desired.metadata!.name!, other, self.name);
    }
    return super.ensureAgainst(desired, live);
  }
}

const CERT_PURPOSES: CertPurpose[] = [
  'ca',
  'apiserver-serving',
  'apiserver-kubelet-client',
  'front-proxy-ca',
  'front-proxy-client',
  'apiserver-etcd-client',
];
const KUBECONFIG_PURPOSES: KubeconfigPurpose[] = ['admin', 'superadmin', 'controller-manager', 'scheduler'];

/**
 * Every name a cluster `c` derives in its namespace, by kind. With a managed etcd, the EtcdCluster's own Secrets
 * too (its CA `<etcd>-ca`, its client certificate `<etcd>-client`), which the etcd operator makes.
 */
export function derivedNames(c: string, managedEtcd: boolean): Array<{ kind: string; name: string }> {
  const etcd = names.etcd(c);
  return [
    ...[names.apiServer(c), names.controllerManager(c), names.scheduler(c)].map((name) => ({ kind: 'Deployment', name })),
    { kind: 'Service', name: names.apiServer(c) },
    ...CERT_PURPOSES.map((p) => ({ kind: 'Secret', name: names.cert(c, p) })),
    { kind: 'Secret', name: names.serviceAccountKeys(c) },
    ...KUBECONFIG_PURPOSES.map((p) => ({ kind: 'Secret', name: names.kubeconfig(c, p) })),
    ...(managedEtcd
      ? [
          { kind: 'EtcdCluster', name: etcd },
          { kind: 'Secret', name: managedEtcdSecrets(c).ca },
          { kind: 'Secret', name: managedEtcdSecrets(c).client },
        ]
      : []),
  ];
}

/** The Secrets the etcd operator makes for the cluster's managed EtcdCluster (`<cluster>-etcd`). */
export function managedEtcdSecrets(c: string): { ca: string; client: string } {
  const etcd = names.etcd(c);
  return { ca: caSecretName({ name: etcd, namespace: '' }), client: `${etcd}-client` };
}

/** Objects of one kind that clusters `a` and `b` of one namespace would both name (sorted), none when they cannot collide. */
export function sharedNames(a: { name: string; managedEtcd: boolean }, b: { name: string; managedEtcd: boolean }): string[] {
  if (a.name === b.name) return [];
  const mine = new Set(derivedNames(a.name, a.managedEtcd).map((o) => `${o.kind}/${o.name}`));
  return derivedNames(b.name, b.managedEtcd)
    .map((o) => `${o.kind}/${o.name}`)
    .filter((k) => mine.has(k))
    .sort();
}

/**
 * The name endings that make a cluster collide with the cluster named without them (`x-front-proxy` with `x`):
 * for suffixes s1 = `<p>-<s2>` of one kind, the cluster `<x>-<p>` names `<x>-<p>-<s2>` = `<x>-<s1>`. Computed from
 * `derivedNames`, so a new suffix that adds a collision shows up here (and in the validator's rule).
 */
export function collidingEndings(): string[] {
  const probe = 'x';
  const own = derivedNames(probe, true).map((o) => ({ kind: o.kind, suffix: o.name.slice(probe.length + 1) }));
  const out = new Set<string>();
  for (const a of own)
    for (const b of own)
      if (a.kind === b.kind && a.suffix.length > b.suffix.length && a.suffix.endsWith(`-${b.suffix}`))
        out.add(a.suffix.slice(0, -b.suffix.length - 1));
  return [...out].sort();
}
