// What a rollout moves, seen on one cluster: the Kubernetes version (spec.version / status.version / Ready), or one
// addon's pin (spec.addons[].version / status.addons[]), plus, with spec.includeMachines, the kubelet of the
// cluster's MachineSets. Pure: the reconciler reads the objects, these functions decide.
//
// Addon targets: only clusters that list the addon in spec.addons are targets (a rollout moves pins, it does not
// install addons); the others are left out of the rows, and the Valid condition counts them. A cluster that drops
// the addon while its row is in flight is Skipped (AddonRemoved), not failed, and its spec is not touched again.
import type { Addon, FleetRolloutSpec, MachineSet } from '../../../api';

/** One addon of a cluster: the pin in its spec, and what the cluster operator last reported for it. */
export interface AddonFacts {
  /** spec.addons[].version; unset: the addon's default version. */
  pinned?: string;
  /** status.addons[].version: the version the cluster operator rendered. */
  running?: string;
  /** status.addons[].ready, for the cluster's current generation. */
  ready: boolean;
  message?: string;
}

/** One MachineSet of a cluster, as far as includeMachines needs it. */
export interface MachineSetFacts {
  name: string;
  /** The template's `kubelet` component version; undefined: the set runs no kubelet component (nothing to move). */
  kubelet?: string;
  hasKubelet: boolean;
  replicas: number;
  /** status.updatedReplicas when the status describes the current spec (observedGeneration), else 0. */
  updated: number;
  observed: boolean;
}

/** Where a cluster stands on the rollout's axis. */
export interface Position {
  /** What the spec asks for (spec.version, or the addon's pin). */
  desired?: string;
  /** What the cluster operator reports it runs. */
  running?: string;
  ready: boolean;
  notReady?: string;
}

interface TargetFacts {
  specVersion?: string;
  statusVersion?: string;
  ready: boolean;
  notReady?: string;
  addons?: Record<string, AddonFacts>;
  machineSets?: MachineSetFacts[];
}

/** The addon an Addon object is a version of (as the cluster operator's addon-versions.ts resolves it). */
export const addonNameOf = (a: Addon): string => a.spec.name ?? a.metadata.name;

/** `coredns 1.12.1` or `v1.33.13`: the target in words. */
export function targetWords(spec: Pick<FleetRolloutSpec, 'target'>): string {
  const a = spec.target.addon;
  return a ? `${a.name} ${a.version}` : (spec.target.kubernetesVersion ?? '-');
}

/** The field the rollout sets, for row messages. */
export function targetField(spec: Pick<FleetRolloutSpec, 'target'>): string {
  return spec.target.addon ? `spec.addons[${spec.target.addon.name}].version` : 'spec.version';
}

/** The cluster's position; undefined when the rollout's addon is not in its spec.addons (not a target). */
export function positionOf(f: TargetFacts, spec: Pick<FleetRolloutSpec, 'target'>): Position | undefined {
  const addon = spec.target.addon?.name;
  if (!addon) return { desired: f.specVersion, running: f.statusVersion, ready: f.ready, notReady: f.notReady };
  const a = f.addons?.[addon];
  if (!a) return undefined;
  return {
    desired: a.pinned,
    running: a.running,
    ready: a.ready,
    ...(a.ready ? {} : { notReady: a.message ?? `addon ${addon} not reported ready` }),
  };
}

/** Whether a cluster lacks the rollout's addon (always false for a Kubernetes target). */
export const lacksAddon = (spec: Pick<FleetRolloutSpec, 'target'>, f: Pick<TargetFacts, 'addons'>): boolean =>
  !!spec.target.addon && !f.addons?.[spec.target.addon.name];

/** Asks for `to`, runs it and is ready with it. */
export const positionAt = (p: Position | undefined, to: string | undefined): boolean =>
  !!p && !!to && p.ready && p.running === to && p.desired === to;

/** The MachineSets whose kubelet still has to be set to `to` (sets without a kubelet component have nothing to move). */
export function machineSetsToMove(f: TargetFacts, to: string): string[] {
  return (f.machineSets ?? []).filter((s) => s.hasKubelet && s.kubelet !== to).map((s) => s.name);
}

/** What the cluster's MachineSets still wait for before every machine runs a kubelet at `to`; undefined when none. */
export function machinesWaiting(f: TargetFacts, to: string): string | undefined {
  const sets = (f.machineSets ?? []).filter((s) => s.hasKubelet);
  const behind = sets.filter((s) => s.kubelet !== to || !s.observed || s.updated < s.replicas);
  if (!behind.length) return undefined;
  return `MachineSets at ${to}: ${sets.length - behind.length}/${sets.length}; ${behind
    .map((s) =>
      s.kubelet !== to ? `${s.name} asks for kubelet ${s.kubelet ?? 'default'}` : `${s.name} ${s.updated}/${s.replicas} machines updated`,
    )
    .join(', ')}`;
}

export function machineSetFacts(ms: MachineSet): MachineSetFacts {
  const kubelet = ms.spec.template.spec.components?.find((c) => c.name === 'kubelet');
  const observed = (ms.status?.observedGeneration ?? 0) >= (ms.metadata.generation ?? 0) && ms.status?.observedGeneration !== undefined;
  return {
    name: ms.metadata.name,
    ...(kubelet?.version ? { kubelet: kubelet.version } : {}),
    hasKubelet: !!kubelet,
    replicas: ms.spec.replicas ?? 1,
    updated: observed ? (ms.status?.updatedReplicas ?? 0) : 0,
    observed,
  };
}

/**
 * Why the catalog cannot serve the addon target, or undefined when exactly one Addon is that version of that addon
 * (the cluster operator resolves the pin the same way: addon-versions.ts).
 */
export function addonTargetProblem(
  target: { name: string; version: string },
  catalog: Addon[],
): { reason: string; message: string } | undefined {
  const versions = catalog.filter((a) => addonNameOf(a) === target.name);
  if (!versions.length)
    return {
      reason: 'AddonNotInCatalog',
      message: `spec.target.addon.name ${target.name}: no Addon of that name in the catalog (import it with \`kokpit addons import\`)`,
    };
  const offered = versions.filter((a) => a.spec.version === target.version);
  if (offered.length === 1) return undefined;
  if (offered.length > 1)
    return {
      reason: 'AddonVersionAmbiguous',
      message:
        `spec.target.addon.version ${target.version} of ${target.name} is defined by several Addons ` +
        `(${offered.map((a) => a.metadata.name).join(', ')})`,
    };
  return {
    reason: 'AddonVersionNotOffered',
    message:
      `spec.target.addon.version ${target.version} is not offered by addon ${target.name}; ` +
      `available: ${[...new Set(versions.map((a) => a.spec.version))].sort().join(', ')}`,
  };
}
