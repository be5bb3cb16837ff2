// The Fleet model: a pure tree over API objects of one meta cluster, with stable ids, parents, status and
// per-node change tracking. The VS Code tree view is a thin adapter over it (src/extension/fleet/).
import {
  STATE_REASON_ANNOTATION,
  type BusinessCluster,
  type EtcdCluster,
  type KubernetesVersion,
  type Addon,
  type Machine,
  type MachineSet,
  type Condition,
  type FleetRollout,
} from '../api';
import { mentions, movingTo, rolloutNode, rolloutWaveNodes, type RolloutMention } from './rollouts';
import {
  businessClusterOf,
  importedClusterNode,
  managedClusterNode,
  OCM_FLEET_KINDS,
  placementNodes,
  workNodes,
  type ManagedCluster,
  type ManifestWork,
  type OcmObject,
  type Placement,
  type PlacementDecision,
} from './ocm';

export type FleetStatus = 'ok' | 'progress' | 'warning' | 'error' | 'unknown';

export type FleetNodeKind =
  | 'metaCluster'
  | 'group'
  | 'etcdCluster'
  | 'etcdMember'
  | 'businessCluster'
  | 'controlPlaneComponent'
  | 'machine'
  | 'machineSet'
  | 'addon'
  | 'condition'
  | 'version'
  | 'addonDefinition'
  | 'rollout'
  | 'rolloutWave'
  | 'rolloutCluster'
  | 'managedCluster'
  | 'manifestWork'
  | 'workManifest'
  | 'placement'
  | 'placementDecision';

export interface FleetNode {
  /** Stable across refreshes: derived from the meta cluster, kind, namespace and name. */
  id: string;
  parentId?: string;
  kind: FleetNodeKind;
  label: string;
  description?: string;
  tooltip?: string;
  status: FleetStatus;
  /** Namespaced context value for menus, e.g. `kokpit.etcdCluster.ready`. */
  contextValue: string;
  /** The object this node stands for, when it is one. */
  ref?: { kind: string; namespace?: string; name: string };
  children: string[];
}

type Obj = BusinessCluster | EtcdCluster | KubernetesVersion | Addon | Machine | MachineSet | FleetRollout | OcmObject;

const GROUPS = [
  { key: 'etcd', label: 'etcd clusters' },
  { key: 'clusters', label: 'Business clusters' },
  { key: 'rollouts', label: 'Rollouts' },
  { key: 'versions', label: 'Versions' },
  { key: 'addons', label: 'Addons' },
] as const;

function objKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function condition(obj: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

function failingConditions(obj: { status?: { conditions?: Condition[] } }): Condition[] {
  return (obj.status?.conditions ?? []).filter((c) => c.status === 'False' && c.message);
}

function humanBytes(n: number | undefined): string | undefined {
  if (n === undefined) return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function phaseStatus(phase: string | undefined, ready: Condition | undefined): FleetStatus {
  if (ready?.status === 'True') return 'ok';
  switch (phase) {
    case 'Running':
      return ready?.status === 'False' ? 'warning' : 'ok';
    case 'Degraded':
    case 'QuorumLost':
    case 'Failed':
      return 'error';
    case 'Pending':
    case 'Provisioning':
    case 'Bootstrapping':
    case 'Scaling':
    case 'Upgrading':
    case 'Healing':
    case 'Restoring':
    case 'Joining':
    case 'Repairing':
    case 'Deleting':
      return 'progress';
    default:
      return 'unknown';
  }
}

/** The fleet of one meta cluster. Objects go in with `upsert`/`remove`; each returns the ids of nodes whose
 *  rendering changed, so a view refreshes only those. */
export class FleetModel {
  private readonly nodes = new Map<string, FleetNode>();
  private readonly objects = new Map<string, Obj>();
  /** Machines and MachineSets by `namespace/cluster`, so a cluster's node lists them without a scan. */
  private readonly machinesByCluster = new Map<string, Set<string>>();
  /** What each rollout's status rows say about a cluster, by `namespace/name` then rollout name. */
  private readonly rolloutsByCluster = new Map<string, Map<string, RolloutMention>>();
  /** OCM (issue 18): the ManagedCluster of each business cluster (`namespace/name` → its name, also its hub namespace). */
  private readonly managedByCluster = new Map<string, string>();
  /** A work's manifest nodes, from ocmKids to the cluster's replaceChildren. */
  private readonly workManifests = new Map<string, FleetNode[]>();

  constructor(
    readonly metaClusterName: string,
    private readonly metaStatus: FleetStatus = 'ok',
  ) {
    this.put({
      id: this.rootId,
      kind: 'metaCluster',
      label: metaClusterName,
      description: 'meta cluster',
      status: metaStatus,
      contextValue: 'kokpit.metaCluster',
      children: GROUPS.map((g) => this.groupId(g.key)),
    });
    for (const g of GROUPS) {
      this.put({
        id: this.groupId(g.key),
        parentId: this.rootId,
        kind: 'group',
        label: g.label,
        status: 'unknown',
        contextValue: `kokpit.group.${g.key}`,
        children: [],
      });
    }
  }

  get rootId(): string {
    return `meta:${this.metaClusterName}`;
  }

  get size(): number {
    return this.nodes.size;
  }

  get(id: string): FleetNode | undefined {
    return this.nodes.get(id);
  }

  children(id: string): FleetNode[] {
    return (this.nodes.get(id)?.children ?? []).map((c) => this.nodes.get(c)!).filter(Boolean);
  }

  parent(id: string): FleetNode | undefined {
    const p = this.nodes.get(id)?.parentId;
    return p ? this.nodes.get(p) : undefined;
  }

  /** The meta cluster's version catalog as validation uses it (state, and why from the annotation). */
  catalog(): Array<{ version: string; state?: string; reason?: string }> {
    return [...this.objects.values()]
      .filter((o): o is KubernetesVersion => o.kind === 'KubernetesVersion')
      .map((v) => ({ version: v.spec.version, state: v.spec.state, reason: v.metadata.annotations?.[STATE_REASON_ANNOTATION] }));
  }

  /** Where the manager runs and its lease, on the meta-cluster node (fleet/manager-lease.ts); returns the ids to refresh. */
  setManager(summary: { text: string; status: FleetStatus; tooltip?: string }): string[] {
    const root = this.nodes.get(this.rootId)!;
    const description = `meta cluster · ${summary.text}`;
    const status = this.metaStatus === 'ok' ? summary.status : this.metaStatus;
    if (root.description === description && root.status === status && root.tooltip === summary.tooltip) return [];
    this.put({ ...root, description, status, tooltip: summary.tooltip });
    return [this.rootId];
  }

  /** Adds or replaces one object; returns the ids of nodes to refresh. */
  upsert(obj: Obj): string[] {
    const key = objKey(obj.kind, obj.metadata.namespace, obj.metadata.name);
    this.objects.set(key, obj);
    switch (obj.kind) {
      case 'EtcdCluster':
        return this.renderEtcd(obj);
      case 'BusinessCluster':
        return this.renderCluster(obj);
      case 'Machine':
      case 'MachineSet': {
        const ck = `${obj.metadata.namespace ?? ''}/${obj.spec.clusterRef.name}`;
        if (!this.machinesByCluster.has(ck)) this.machinesByCluster.set(ck, new Set());
        this.machinesByCluster.get(ck)!.add(key);
        const cluster = this.objects.get(objKey('BusinessCluster', obj.metadata.namespace, obj.spec.clusterRef.name)) as
          BusinessCluster | undefined;
        return cluster ? this.renderCluster(cluster) : [];
      }
      case 'KubernetesVersion':
        return this.renderLeaf(
          'versions',
          obj,
          'version',
          obj.spec.version,
          obj.spec.state ?? 'Supported',
          obj.spec.state === 'Supported' || obj.spec.state === 'Preview' || !obj.spec.state ? 'ok' : 'warning',
        );
      case 'Addon':
        return this.renderLeaf('addons', obj, 'addonDefinition', obj.metadata.name, obj.spec.version, 'ok');
      case 'FleetRollout':
        return [...this.renderRollout(obj), ...this.indexRollout(obj.metadata.name, mentions(obj))];
      case 'ManagedCluster':
      case 'ManifestWork':
      case 'Placement':
      case 'PlacementDecision':
        return this.renderOcm(obj);
      default:
        return [];
    }
  }

  /** Removes one object and its subtree; returns the ids of nodes to refresh. */
  remove(ref: { kind: string; namespace?: string; name: string }): string[] {
    const key = objKey(ref.kind, ref.namespace, ref.name);
    const obj = this.objects.get(key);
    if (!obj) return [];
    this.objects.delete(key);
    if (OCM_FLEET_KINDS.includes(obj.kind)) return this.renderOcm(obj as OcmObject, true);
    if (obj.kind === 'Machine' || obj.kind === 'MachineSet') {
      const ck = `${obj.metadata.namespace ?? ''}/${obj.spec.clusterRef.name}`;
      this.machinesByCluster.get(ck)?.delete(key);
      const cluster = this.objects.get(objKey('BusinessCluster', obj.metadata.namespace, obj.spec.clusterRef.name)) as
        BusinessCluster | undefined;
      return cluster ? this.renderCluster(cluster) : [];
    }
    // The clusters a deleted rollout was moving no longer say so.
    const released = obj.kind === 'FleetRollout' ? this.indexRollout(obj.metadata.name, new Map()) : [];
    const id = this.objectId(obj.kind, obj.metadata.namespace, obj.metadata.name);
    const node = this.nodes.get(id);
    if (!node) return released;
    this.dropSubtree(id);
    const parent = this.nodes.get(node.parentId!)!;
    parent.children = parent.children.filter((c) => c !== id);
    return [parent.id, ...released];
  }

  private groupId(key: string): string {
    return `${this.rootId}/${key}`;
  }

  private objectId(kind: string, namespace: string | undefined, name: string): string {
    return `${this.rootId}/${kind}/${namespace ? `${namespace}/` : ''}${name}`;
  }

  private put(node: FleetNode): void {
    this.nodes.set(node.id, node);
  }

  private dropSubtree(id: string): void {
    const node = this.nodes.get(id);
    if (!node) return;
    for (const c of node.children) this.dropSubtree(c);
    this.nodes.delete(id);
  }

  /** Puts `id` under a group, keeping the group's children sorted by label. Returns whether the group changed. */
  private attach(groupKey: string, id: string): boolean {
    const group = this.nodes.get(this.groupId(groupKey))!;
    if (group.children.includes(id)) return false;
    // Binary insertion keeps the group sorted by label without re-sorting on every object.
    const label = this.nodes.get(id)?.label ?? id;
    let lo = 0;
    let hi = group.children.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.nodes.get(group.children[mid])?.label ?? '') < label) lo = mid + 1;
      else hi = mid;
    }
    group.children.splice(lo, 0, id);
    return true;
  }

  /** Replaces a node's children; returns the ids of children that changed (a node that is new, or renders differently). */
  private replaceChildren(parent: FleetNode, next: FleetNode[]): string[] {
    const changed: string[] = [];
    const keep = new Set(next.map((n) => n.id));
    for (const old of parent.children) if (!keep.has(old)) this.dropSubtree(old);
    for (const n of next) {
      const prev = this.nodes.get(n.id);
      if (!prev || !sameRendering(prev, n)) changed.push(n.id);
      this.put(n);
    }
    const ids = next.map((n) => n.id);
    if (ids.join('\n') !== parent.children.join('\n')) changed.push(parent.id);
    parent.children = ids;
    return changed;
  }

  private renderRollout(r: FleetRollout): string[] {
    const id = this.objectId('FleetRollout', undefined, r.metadata.name);
    const prev = this.nodes.get(id);
    const node = { ...rolloutNode(id, this.groupId('rollouts'), r), children: prev?.children ?? [] };
    this.put(node);
    const changed = this.attach('rollouts', id) ? [this.groupId('rollouts')] : [];
    if (!prev || !sameRendering(prev, node)) changed.push(id);
    const { waves, rows } = rolloutWaveNodes(id, r);
    // Each wave keeps its current children until its own rows replace them, so rows that left are dropped.
    for (const w of waves) w.children = this.nodes.get(w.id)?.children ?? [];
    changed.push(...this.replaceChildren(node, waves));
    for (const w of waves) changed.push(...this.replaceChildren(w, rows.get(w.id) ?? []));
    return changed;
  }

  /** Records what one rollout says about each cluster; re-renders the clusters whose mention changed. */
  private indexRollout(rollout: string, now: Map<string, RolloutMention>): string[] {
    const touched = new Set<string>();
    for (const [key, byRollout] of this.rolloutsByCluster) {
      if (byRollout.has(rollout) && !now.has(key)) {
        byRollout.delete(rollout);
        touched.add(key);
      }
    }
    for (const [key, m] of now) {
      if (!this.rolloutsByCluster.has(key)) this.rolloutsByCluster.set(key, new Map());
      this.rolloutsByCluster.get(key)!.set(rollout, m);
      touched.add(key);
    }
    const out: string[] = [];
    for (const key of touched) {
      const [ns, name] = key.split('/');
      const bc = this.objects.get(objKey('BusinessCluster', ns, name)) as BusinessCluster | undefined;
      // renderCluster reports only nodes whose rendering changed, so an unchanged row costs no refresh.
      if (bc) out.push(...this.renderCluster(bc));
    }
    return out;
  }

  private renderLeaf(groupKey: string, obj: Obj, kind: FleetNodeKind, label: string, description: string, status: FleetStatus): string[] {
    const id = this.objectId(obj.kind, obj.metadata.namespace, obj.metadata.name);
    const prev = this.nodes.get(id);
    const node: FleetNode = {
      id,
      parentId: this.groupId(groupKey),
      kind,
      label,
      description,
      status,
      contextValue: `kokpit.${kind}`,
      ref: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
      children: [],
    };
    this.put(node);
    const out = this.attach(groupKey, id) ? [this.groupId(groupKey)] : [];
    if (!prev || !sameRendering(prev, node)) out.push(id);
    return out;
  }

  private renderEtcd(ec: EtcdCluster): string[] {
    const ns = ec.metadata.namespace;
    const id = this.objectId('EtcdCluster', ns, ec.metadata.name);
    const available = condition(ec, 'Available');
    const status = ec.status?.phase === 'QuorumLost' ? 'error' : phaseStatus(ec.status?.phase, available);
    const members = ec.status?.members ?? [];
    const ready = ec.status?.readyMembers ?? members.filter((m) => m.healthy).length;
    const prev = this.nodes.get(id);
    const node: FleetNode = {
      id,
      parentId: this.groupId('etcd'),
      kind: 'etcdCluster',
      label: ec.metadata.name,
      description:
        `${ready}/${ec.spec.replicas ?? 3} · ${ec.status?.currentVersion ?? ec.spec.version ?? ''} · ` + `${ec.status?.phase ?? 'Pending'}`,
      tooltip: tooltip(`${ns}/${ec.metadata.name}`, ec),
      status,
      contextValue: `kokpit.etcdCluster.${status === 'ok' ? 'ready' : status}`,
      ref: { kind: 'EtcdCluster', namespace: ns, name: ec.metadata.name },
      children: prev?.children ?? [],
    };
    this.put(node);
    const changed = this.attach('etcd', id) ? [this.groupId('etcd')] : [];
    if (!prev || !sameRendering(prev, node)) changed.push(id);
    const kids = members.map<FleetNode>((m) => ({
      id: `${id}/member/${m.name}`,
      parentId: id,
      kind: 'etcdMember',
      label: m.name,
      description: [m.leader ? 'leader' : m.learner ? 'learner' : 'follower', humanBytes(m.dbSize), m.version].filter(Boolean).join(' · '),
      tooltip: m.message ?? (m.healthy ? 'healthy' : 'unhealthy'),
      status: m.healthy === undefined ? 'unknown' : m.healthy ? 'ok' : 'error',
      contextValue: `kokpit.etcdMember${m.leader ? '.leader' : ''}`,
      children: [],
    }));
    return [...changed, ...this.replaceChildren(node, kids)];
  }

  // eslint-disable-next-line max-lines-per-function -- one tree node per fact of the cluster, in the order the tree shows them
  private renderCluster(bc: BusinessCluster): string[] {
    const ns = bc.metadata.namespace;
    const id = this.objectId('BusinessCluster', ns, bc.metadata.name);
    const ready = condition(bc, 'Ready');
    const status = phaseStatus(bc.status?.phase, ready);
    const prev = this.nodes.get(id);
    const moving = movingTo(this.rolloutsByCluster.get(`${ns ?? 'default'}/${bc.metadata.name}`)?.values() ?? []);
    const version = [bc.status?.version ?? bc.spec.version, moving?.text].filter(Boolean).join(' ');
    const node: FleetNode = {
      id,
      parentId: this.groupId('clusters'),
      kind: 'businessCluster',
      label: bc.metadata.name,
      description: [bc.status?.phase ?? 'Pending', version, bc.status?.endpoint].filter(Boolean).join(' · '),
      tooltip: [tooltip(`${ns}/${bc.metadata.name}`, bc), moving?.tooltip].filter(Boolean).join('\n'),
      status,
      contextValue: `kokpit.businessCluster.${status === 'ok' ? 'ready' : status}`,
      ref: { kind: 'BusinessCluster', namespace: ns, name: bc.metadata.name },
      children: prev?.children ?? [],
    };
    this.put(node);
    const changed = this.attach('clusters', id) ? [this.groupId('clusters')] : [];
    if (!prev || !sameRendering(prev, node)) changed.push(id);

    const kids: FleetNode[] = [];
    for (const c of bc.status?.components ?? []) {
      const ok = (c.readyReplicas ?? 0) >= (c.replicas ?? 1);
      kids.push({
        id: `${id}/component/${c.name}`,
        parentId: id,
        kind: 'controlPlaneComponent',
        label: c.name,
        description: `${c.readyReplicas ?? 0}/${c.replicas ?? 1}${c.version ? ` · ${c.version}` : ''}`,
        status: ok ? 'ok' : 'progress',
        contextValue: 'kokpit.controlPlaneComponent',
        children: [],
      });
    }
    const memberKeys = [...(this.machinesByCluster.get(`${ns ?? ''}/${bc.metadata.name}`) ?? [])].sort();
    // MachineSets first (they own most machines), then the machines.
    for (const sk of memberKeys.filter((k) => k.startsWith('MachineSet/'))) {
      const ms = this.objects.get(sk) as MachineSet;
      const want = ms.spec.replicas ?? 1;
      const ready = ms.status?.readyReplicas ?? 0;
      const sStatus: FleetStatus = failingConditions(ms).length
        ? 'warning'
        : ready >= want && (ms.status?.replicas ?? want) === want
          ? 'ok'
          : 'progress';
      kids.push({
        id: `${id}/machineSet/${ms.metadata.name}`,
        parentId: id,
        kind: 'machineSet',
        label: ms.metadata.name,
        description: [`${ready}/${want} ready`, ms.spec.template.spec.provider, ms.status?.message].filter(Boolean).join(' · '),
        tooltip: tooltip(`${ms.metadata.namespace}/${ms.metadata.name}`, ms),
        status: sStatus,
        contextValue: `kokpit.machineSet.${sStatus === 'ok' ? 'ready' : sStatus}`,
        ref: { kind: 'MachineSet', namespace: ms.metadata.namespace, name: ms.metadata.name },
        children: [],
      });
    }
    for (const mk of memberKeys.filter((k) => k.startsWith('Machine/'))) {
      const m = this.objects.get(mk) as Machine;
      const mStatus = phaseStatus(m.status?.phase, condition(m, 'NodeReady'));
      kids.push({
        id: `${id}/machine/${m.metadata.name}`,
        parentId: id,
        kind: 'machine',
        label: m.metadata.name,
        description: [m.status?.phase ?? 'Pending', m.spec.provider, m.status?.nodeName].filter(Boolean).join(' · '),
        tooltip: tooltip(`${m.metadata.namespace}/${m.metadata.name}`, m),
        status: mStatus,
        contextValue: `kokpit.machine.${mStatus === 'ok' ? 'ready' : mStatus}`,
        ref: { kind: 'Machine', namespace: m.metadata.namespace, name: m.metadata.name },
        children: [],
      });
    }
    for (const a of bc.status?.addons ??
      bc.spec.addons?.map((x) => ({ name: x.name, version: x.version, ready: undefined, message: undefined })) ??
      []) {
      kids.push({
        id: `${id}/addon/${a.name}`,
        parentId: id,
        kind: 'addon',
        label: a.name,
        description: a.version,
        tooltip: a.message,
        status: a.ready === undefined ? 'unknown' : a.ready ? 'ok' : 'warning',
        contextValue: 'kokpit.addon',
        children: [],
      });
    }
    kids.push(...this.ocmKids(id, `${ns ?? 'default'}/${bc.metadata.name}`));
    for (const c of failingConditions(bc)) {
      kids.push({
        id: `${id}/condition/${c.type}`,
        parentId: id,
        kind: 'condition',
        label: `${c.type}: ${c.reason ?? 'False'}`,
        description: c.message,
        tooltip: c.message,
        status: 'warning',
        contextValue: 'kokpit.condition',
        children: [],
      });
    }
    changed.push(...this.replaceChildren(node, kids));
    for (const k of kids) if (k.kind === 'manifestWork') changed.push(...this.replaceChildren(k, this.workManifests.get(k.id) ?? []));
    return changed;
  }

  /**
   * The Placements group, once the meta cluster serves OCM's kinds (the connection asks discovery; any OCM object
   * also shows it): without OCM the tree has no trace of it. Returns the ids to refresh.
   */
  showOcm(): string[] {
    const root = this.nodes.get(this.rootId)!;
    const id = this.groupId('placements');
    if (root.children.includes(id)) return [];
    this.put({
      id,
      parentId: this.rootId,
      kind: 'group',
      label: 'Placements',
      status: 'unknown',
      contextValue: 'kokpit.group.placements',
      children: [],
    });
    root.children.splice(root.children.indexOf(this.groupId('rollouts')) + 1, 0, id);
    return [this.rootId];
  }

  /** An OCM object added, changed or (`removed`) gone: re-renders the business cluster or the placements it shows under. */
  private renderOcm(obj: OcmObject, removed = false): string[] {
    const changed = this.showOcm();
    const clusterKeys = new Set<string>();
    if (obj.kind === 'ManagedCluster') {
      for (const [k, mc] of this.managedByCluster) if (mc === obj.metadata.name) clusterKeys.add(k);
      for (const k of clusterKeys) this.managedByCluster.delete(k);
      const owner = businessClusterOf(obj);
      if (owner && !removed) {
        clusterKeys.add(owner);
        this.managedByCluster.set(owner, obj.metadata.name);
      }
      changed.push(...this.renderImported()); // it may also have just left the group (relabelled, or gone)
    } else if (obj.kind === 'ManifestWork') {
      for (const [k, mc] of this.managedByCluster) if (mc === obj.metadata.namespace) clusterKeys.add(k);
      const mc = this.objects.get(objKey('ManagedCluster', undefined, obj.metadata.namespace ?? '')) as ManagedCluster | undefined;
      if (mc && !businessClusterOf(mc)) changed.push(...this.renderImported());
    } else changed.push(...this.renderPlacements());
    for (const k of clusterKeys) {
      const [ns, name] = k.split('/');
      const bc = this.objects.get(objKey('BusinessCluster', ns, name)) as BusinessCluster | undefined;
      if (bc) changed.push(...this.renderCluster(bc));
    }
    return changed;
  }

  /** The ManagedCluster node and the ManifestWorks in its hub namespace, for one business cluster (`namespace/name`). */
  private ocmKids(clusterId: string, key: string): FleetNode[] {
    const mcName = this.managedByCluster.get(key);
    const mc = mcName ? (this.objects.get(objKey('ManagedCluster', undefined, mcName)) as ManagedCluster | undefined) : undefined;
    if (!mc) return [];
    const works = [...this.objects.values()]
      .filter((o): o is ManifestWork => o.kind === 'ManifestWork' && o.metadata.namespace === mcName)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return [
      managedClusterNode(clusterId, mc),
      ...works.map((w) => {
        const { node, kids } = workNodes(clusterId, w);
        node.children = this.nodes.get(node.id)?.children ?? [];
        this.workManifests.set(node.id, kids);
        return node;
      }),
    ];
  }

  /**
   * The Imported clusters group: every ManagedCluster that is no BusinessCluster's, with its state and the works of its
   * hub namespace (as under a business cluster). Shown after Business clusters while there is one; gone when none is left.
   */
  private renderImported(): string[] {
    const root = this.nodes.get(this.rootId)!;
    const id = this.groupId('imported');
    const mcs = [...this.objects.values()]
      .filter((o): o is ManagedCluster => o.kind === 'ManagedCluster' && !businessClusterOf(o))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (!mcs.length) {
      if (!root.children.includes(id)) return [];
      this.dropSubtree(id);
      root.children = root.children.filter((c) => c !== id);
      return [this.rootId];
    }
    const changed: string[] = [];
    if (!root.children.includes(id)) {
      this.put({
        id,
        parentId: this.rootId,
        kind: 'group',
        label: 'Imported clusters',
        status: 'unknown',
        contextValue: 'kokpit.group.imported',
        children: [],
      });
      root.children.splice(root.children.indexOf(this.groupId('clusters')) + 1, 0, id);
      changed.push(this.rootId);
    }
    const nodes = mcs.map((mc) => {
      const node = importedClusterNode(this.objectId('ManagedCluster', undefined, mc.metadata.name), id, mc);
      node.children = this.nodes.get(node.id)?.children ?? [];
      return node;
    });
    changed.push(...this.replaceChildren(this.nodes.get(id)!, nodes));
    for (const node of nodes) {
      const works = [...this.objects.values()]
        .filter((o): o is ManifestWork => o.kind === 'ManifestWork' && o.metadata.namespace === node.ref!.name)
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
        .map((w) => workNodes(node.id, w));
      for (const w of works) w.node.children = this.nodes.get(w.node.id)?.children ?? [];
      changed.push(
        ...this.replaceChildren(
          node,
          works.map((w) => w.node),
        ),
      );
      for (const w of works) changed.push(...this.replaceChildren(w.node, w.kids));
    }
    return changed;
  }

  private renderPlacements(): string[] {
    const group = this.nodes.get(this.groupId('placements'))!;
    const all = [...this.objects.values()];
    const decisions = all.filter((o): o is PlacementDecision => o.kind === 'PlacementDecision');
    const built = all
      .filter((o): o is Placement => o.kind === 'Placement')
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((p) => placementNodes(this.objectId('Placement', p.metadata.namespace, p.metadata.name), group.id, p, decisions));
    for (const b of built) b.node.children = this.nodes.get(b.node.id)?.children ?? [];
    const changed = this.replaceChildren(
      group,
      built.map((b) => b.node),
    );
    for (const b of built) changed.push(...this.replaceChildren(b.node, b.kids));
    return changed;
  }
}

function tooltip(title: string, obj: { status?: { conditions?: Condition[] } }): string {
  const lines = [
    title,
    ...(obj.status?.conditions ?? []).map(
      (c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`,
    ),
  ];
  return lines.join('\n');
}

function sameRendering(a: FleetNode, b: FleetNode): boolean {
  return (
    a.label === b.label &&
    a.description === b.description &&
    a.tooltip === b.tooltip &&
    a.status === b.status &&
    a.contextValue === b.contextValue
  );
}
