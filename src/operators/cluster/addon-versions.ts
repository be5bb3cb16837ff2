// Addon versions side by side, and when an applied addon counts as ready.
//
// Representation: one Addon object per version. `spec.name` says which addon it is a version of
// (`metadata.name` when unset), so every Addon written before versions existed is the one version of
// the addon it is named after: no migration. A new version is a new object, e.g. `coredns-1.12.1`
// with `spec.name: coredns`, so `kokpit addons import` of it never touches the other versions.
//
// A cluster's pin resolves to: the Addon of that addon with `spec.version` equal to
// `spec.addons[].version`; unpinned, the addon's default — the one marked `spec.default`, else the
// Addon named after the addon itself, else the only version. A pinned version that is not (or no
// longer) in the catalog is AddonVersionNotFound on AddonsReady, naming the versions there are; what
// the cluster applied before stays in the business cluster untouched (nothing pruned) until the pin
// names a version that exists.
//
// Readiness: after applying, the addon's Deployments and DaemonSets are read back from the business
// cluster; the addon is ready only when each is rolled out (the controller observed the current
// generation, every replica updated and available, none old left). Else AddonsReady is False with
// AddonNotAvailable naming the workload and what it waits for; the pass requeues after the kit's wait.
import type { Addon } from '../../api';
import { AddonError } from './render/addons';

/** The addon an Addon object is a version of. */
export const addonNameOf = (a: Addon): string => a.spec.name ?? a.metadata.name;

/** The Addon a cluster's reference resolves to among every Addon in the catalog (see the top of this file). */
export function resolveAddonVersion(ref: { name: string; version?: string }, catalog: Addon[]): Addon {
  const versions = catalog.filter((a) => addonNameOf(a) === ref.name);
  if (!versions.length)
    throw new AddonError(
      ref.name,
      `addon ${ref.name}: no Addon definition named ${ref.name} (import it with \`kokpit addons import\`)`,
      'AddonNotFound',
    );
  const list = versions
    .map((a) => a.spec.version)
    .sort()
    .join(', ');
  if (ref.version) {
    const pinned = versions.filter((a) => a.spec.version === ref.version);
    if (pinned.length === 1) return pinned[0];
    if (pinned.length > 1)
      throw new AddonError(
        ref.name,
        `addon ${ref.name}: version ${ref.version} is defined by several Addons (${pinned.map((a) => a.metadata.name).join(', ')})`,
        'AddonVersionAmbiguous',
      );
    throw new AddonError(
      ref.name,
      `addon ${ref.name}: pinned version ${ref.version} is not in the catalog (there: ${list}); ` +
        'what it applied stays in the cluster until the pin names a version that exists',
      'AddonVersionNotFound',
    );
  }
  const marked = versions.filter((a) => a.spec.default === true);
  if (marked.length === 1) return marked[0];
  if (marked.length > 1)
    throw new AddonError(
      ref.name,
      `addon ${ref.name}: ${marked.length} versions are marked default (${marked.map((a) => a.spec.version).join(', ')}); pin one`,
      'AddonVersionAmbiguous',
    );
  const named = versions.find((a) => a.metadata.name === ref.name);
  if (named) return named;
  if (versions.length === 1) return versions[0];
  throw new AddonError(
    ref.name,
    `addon ${ref.name}: no default version among ${list}; pin one or mark one default`,
    'AddonVersionAmbiguous',
  );
}

/** The status fields readiness reads (apps/v1 Deployment and DaemonSet). */
export interface Workload {
  kind: string;
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
  };
}

export const isWorkload = (o: { apiVersion?: string; kind?: string }): boolean =>
  o.apiVersion === 'apps/v1' && (o.kind === 'Deployment' || o.kind === 'DaemonSet');

/** What a Deployment or DaemonSet still waits for before it counts as rolled out; undefined when it is. */
export function workloadWaiting(w: Workload | undefined): string | undefined {
  if (!w) return 'its creation';
  const s = w.status ?? {};
  if ((s.observedGeneration ?? 0) < (w.metadata?.generation ?? 1)) return 'its controller to observe the current generation';
  if (w.kind === 'DaemonSet') {
    const desired = s.desiredNumberScheduled ?? 0;
    if ((s.updatedNumberScheduled ?? 0) < desired) return `${s.updatedNumberScheduled ?? 0} of ${desired} pods updated`;
    if ((s.numberAvailable ?? 0) < desired || (s.numberUnavailable ?? 0) > 0)
      return `${s.numberAvailable ?? 0} of ${desired} pods available`;
    return undefined;
  }
  const want = w.spec?.replicas ?? 1;
  if ((s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0} of ${want} replicas updated`;
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return `${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas to terminate`;
  if ((s.availableReplicas ?? 0) < want) return `${s.availableReplicas ?? 0} of ${want} replicas available`;
  return undefined;
}

/** `Deployment kube-system/coredns waits for 0 of 2 replicas available`, or undefined when every workload is rolled out. */
export function firstUnavailable(workloads: Array<{ ref: Workload; live: Workload | undefined }>): string | undefined {
  for (const { ref, live } of workloads) {
    const waiting = workloadWaiting(live);
    if (waiting)
      return `${ref.kind} ${ref.metadata?.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata?.name} waits for ${waiting}`;
  }
  return undefined;
}
