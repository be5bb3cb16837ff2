// Pure decisions behind the editor's fleet actions (no vscode, no API calls): which versions a business cluster can
// be upgraded to, which object and field an etcd scale changes, the EtcdBackup and restored EtcdCluster manifests,
// guarded JSON patches, and the text of an events listing. src/extension/ asks the user and sends the requests.
import { API_VERSION, type BusinessCluster, type EtcdBackup, type EtcdCluster, type KubernetesVersion, type MachineSet } from '../api';
import { compareVersions, parseVersion } from '../operators/cluster/versions';
import { names } from '../operators/cluster/names';
import { restoredClusterManifest as restoreManifest } from '../operators/etcd/restore-manifest';

/** A JSON Patch (RFC 6902) operation; `test` makes a patch fail instead of overwriting a change made meanwhile. */
export interface JsonPatchOp {
  op: 'test' | 'replace' | 'add';
  path: string;
  value: unknown;
}

const USABLE = new Set(['Supported', 'Preview']);

const where = (o: { metadata: { namespace?: string; name?: string } }) =>
  `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export interface VersionChoice {
  version: string;
  state: string;
  /** How the operator gets there: a patch release, the next minor, or several minors one at a time. */
  note: string;
}

/** The version a cluster runs or is already headed for, whichever is newer (an upgrade in flight counts). */
export function currentVersion(cluster: Pick<BusinessCluster, 'spec' | 'status'>): string {
  const running = cluster.status?.version;
  return running && compareVersions(running, cluster.spec.version) > 0 ? running : cluster.spec.version;
}

/** Usable (Supported or Preview) catalog versions newer than the cluster's, newest first. */
export function upgradeChoices(
  cluster: Pick<BusinessCluster, 'spec' | 'status'>,
  catalog: readonly Pick<KubernetesVersion, 'spec'>[],
): VersionChoice[] {
  const from = currentVersion(cluster);
  const [fMaj, fMin] = parseVersion(from) ?? [0, 0];
  const seen = new Set<string>();
  return catalog
    .filter((v) => parseVersion(v.spec.version) && USABLE.has(v.spec.state ?? 'Supported') && compareVersions(v.spec.version, from) > 0)
    .filter((v) => !seen.has(v.spec.version) && seen.add(v.spec.version))
    .sort((a, b) => compareVersions(b.spec.version, a.spec.version))
    .map((v) => {
      const [maj, min] = parseVersion(v.spec.version)!;
      const minors = maj === fMaj ? min - fMin : Infinity;
      const note =
        minors === 0
          ? 'patch release'
          : minors === 1
            ? 'next minor'
            : maj === fMaj
              ? `${minors} minors, upgraded one minor at a time`
              : 'another major version';
      return { version: v.spec.version, state: v.spec.state ?? 'Supported', note };
    });
}

/** Sets spec.version, failing if it changed since the user picked (someone else upgraded meanwhile). */
export function upgradePatch(cluster: Pick<BusinessCluster, 'spec' | 'metadata'>, to: string): JsonPatchOp[] {
  if (!parseVersion(to)) throw new Error(`"${to}" is not a Kubernetes version like v1.33.13`);
  if (compareVersions(to, cluster.spec.version) <= 0) {
    throw new Error(`${to} is not newer than ${where(cluster)}'s spec.version ${cluster.spec.version}; downgrades are refused`);
  }
  return [
    { op: 'test', path: '/spec/version', value: cluster.spec.version },
    { op: 'replace', path: '/spec/version', value: to },
  ];
}

export const ETCD_SIZES = [1, 3, 5] as const;

/** The object and field that decide an etcd cluster's size: a managed etcd is sized by its business cluster. */
export interface EtcdScaleTarget {
  kind: 'EtcdCluster' | 'BusinessCluster';
  namespace: string;
  name: string;
  /** JSON pointer of the replicas field. */
  path: '/spec/replicas' | '/spec/etcd/managed/replicas';
  /** Its current value (undefined when the field is absent and the default applies). */
  current: number | undefined;
  /** The EtcdCluster that changes size. */
  etcdCluster: string;
}

/** An EtcdCluster's controlling business cluster (a managed etcd), by owner reference. */
export function owningBusinessCluster(etcd: Pick<EtcdCluster, 'metadata'>): string | undefined {
  return etcd.metadata.ownerReferences?.find((r) => r.kind === 'BusinessCluster' && r.controller)?.name;
}

/**
 * Where to scale etcd from an EtcdCluster or a BusinessCluster. A managed EtcdCluster's replicas are rendered from
 * its business cluster (spec.etcd.managed.replicas); patching the EtcdCluster itself would be undone by the operator.
 */
export function etcdScaleTarget(
  obj: EtcdCluster | BusinessCluster,
  lookup: {
    businessCluster(namespace: string, name: string): BusinessCluster | undefined;
    etcdCluster(namespace: string, name: string): EtcdCluster | undefined;
  },
): EtcdScaleTarget {
  const namespace = obj.metadata.namespace ?? 'default';
  if (obj.kind === 'EtcdCluster') {
    const owner = owningBusinessCluster(obj);
    const bc = owner ? lookup.businessCluster(namespace, owner) : undefined;
    if (owner && !bc)
      throw new Error(`EtcdCluster ${where(obj)} is managed by BusinessCluster ${owner}, which is not in the fleet; scale it there`);
    if (bc) return etcdScaleTarget(bc, lookup);
    return {
      kind: 'EtcdCluster',
      namespace,
      name: obj.metadata.name!,
      path: '/spec/replicas',
      current: obj.spec.replicas,
      etcdCluster: obj.metadata.name!,
    };
  }
  const managed = obj.spec.etcd.managed;
  if (managed) {
    return {
      kind: 'BusinessCluster',
      namespace,
      name: obj.metadata.name!,
      path: '/spec/etcd/managed/replicas',
      current: managed.replicas,
      etcdCluster: names.etcd(obj.metadata.name!),
    };
  }
  const shared = obj.spec.etcd.clusterRef?.name;
  if (!shared) throw new Error(`BusinessCluster ${where(obj)} has neither spec.etcd.managed nor spec.etcd.clusterRef`);
  const etcd = lookup.etcdCluster(namespace, shared);
  if (!etcd) throw new Error(`BusinessCluster ${where(obj)} uses EtcdCluster ${shared}, which is not in the fleet`);
  return etcdScaleTarget(etcd, lookup);
}

export interface ScaleChoice {
  replicas: 1 | 3 | 5;
  label: string;
  description: string;
  current: boolean;
}

export function etcdScaleChoices(current: number | undefined): ScaleChoice[] {
  const tolerance: Record<number, string> = {
    1: 'no fault tolerance',
    3: 'tolerates one member failure',
    5: 'tolerates two member failures',
  };
  return ETCD_SIZES.map((replicas) => ({
    replicas,
    label: `${replicas} member${replicas === 1 ? '' : 's'}`,
    description: `${tolerance[replicas]}${replicas === current ? ' · current' : ''}`,
    current: replicas === current,
  }));
}

/** Sets the replicas field, failing if it changed since the user picked. */
export function scalePatch(target: EtcdScaleTarget, replicas: number): JsonPatchOp[] {
  if (!(ETCD_SIZES as readonly number[]).includes(replicas)) throw new Error(`etcd clusters have 1, 3 or 5 members, not ${replicas}`);
  if (replicas === target.current)
    throw new Error(`${target.kind} ${target.namespace}/${target.name} already has ${replicas} etcd member${replicas === 1 ? '' : 's'}`);
  if (target.current === undefined) return [{ op: 'add', path: target.path, value: replicas }];
  return [
    { op: 'test', path: target.path, value: target.current },
    { op: 'replace', path: target.path, value: replicas },
  ];
}

/** A machine count typed by the user: a whole number from 0 to 100, or why not. */
export function checkMachineCount(text: string): string | undefined {
  if (!/^\d+$/.test(text.trim())) return 'a whole number of machines, e.g. 3';
  return Number(text) > 100 ? 'at most 100 machines from the editor' : undefined;
}

/** Sets a MachineSet's spec.replicas, failing if it changed since the user looked; the operator rolls machines in phases. */
export function machineSetScalePatch(ms: Pick<MachineSet, 'metadata' | 'spec'>, replicas: number): JsonPatchOp[] {
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new Error(`a MachineSet has a whole, non-negative number of machines, not ${replicas}`);
  if (replicas === ms.spec.replicas) throw new Error(`MachineSet ${where(ms)} already has ${replicas} machine${replicas === 1 ? '' : 's'}`);
  if (ms.spec.replicas === undefined) return [{ op: 'add', path: '/spec/replicas', value: replicas }];
  return [
    { op: 'test', path: '/spec/replicas', value: ms.spec.replicas },
    { op: 'replace', path: '/spec/replicas', value: replicas },
  ];
}

/** The EtcdCluster a backup or restore acts on, from an EtcdCluster or a BusinessCluster node. */
export function etcdClusterOf(obj: EtcdCluster | BusinessCluster): string {
  if (obj.kind === 'EtcdCluster') return obj.metadata.name!;
  const shared = obj.spec.etcd.clusterRef?.name;
  return shared ?? names.etcd(obj.metadata.name!);
}

/** `20261123-141503` in UTC: sortable, and valid in a DNS-1123 name. */
function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .toLowerCase();
}

/** A one-off EtcdBackup named `<etcd>-<yyyymmdd-hhmmss>` (the etcd name shortened to keep 63 characters). */
export function backupManifest(namespace: string, etcdCluster: string, now: Date): EtcdBackup {
  const suffix = `-${stamp(now)}`;
  const base = etcdCluster.slice(0, 63 - suffix.length).replace(/-+$/, '');
  return {
    apiVersion: API_VERSION,
    kind: 'EtcdBackup',
    metadata: {
      name: `${base}${suffix}`,
      namespace,
      labels: { 'kokpit.dev/etcd-cluster': etcdCluster, 'kokpit.dev/backup-trigger': 'manual' },
    },
    spec: { etcdClusterRef: { name: etcdCluster } },
  };
}

export interface RestoreChoice {
  backup: string;
  label: string;
  description: string;
}

/** Completed backups of `etcdCluster`, newest first (the only ones the operator restores from). */
export function restoreChoices(etcdCluster: string, backups: readonly EtcdBackup[]): RestoreChoice[] {
  const when = (b: EtcdBackup) => b.status?.completionTime ?? String(b.metadata.creationTimestamp ?? '');
  return backups
    .filter((b) => b.spec.etcdClusterRef.name === etcdCluster && b.status?.phase === 'Completed')
    .sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0))
    .map((b) => ({
      backup: b.metadata.name!,
      label: b.metadata.name!,
      description: [
        b.status?.completionTime,
        b.status?.size !== undefined ? `${b.status.size} bytes` : undefined,
        b.status?.etcdVersion && `etcd ${b.status.etcdVersion}`,
      ]
        .filter(Boolean)
        .join(' · '),
    }));
}

/** `<name>-restored`, or `-restored-2`, … : the first name not taken in the namespace, within 50 characters. */
export function restoredName(source: string, taken: ReadonlySet<string>): string {
  for (let i = 1; ; i++) {
    const suffix = i === 1 ? '-restored' : `-restored-${i}`;
    const name = `${source.slice(0, 50 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(name)) return name;
  }
}

/**
 * Restoring is creating: the operator builds a new EtcdCluster from a snapshot before any member serves
 * (spec.restoreFrom applies at creation only). The same manifest as `kokpit restore`: the source's shape.
 */
export function restoredClusterManifest(source: EtcdCluster, backup: string, name: string): EtcdCluster {
  return restoreManifest({ name, namespace: source.metadata.namespace!, backup: { metadata: { name: backup } } as EtcdBackup, source });
}

/** The apiserver endpoint of a business cluster, or exactly why there is none. */
export function endpointOf(cluster: Pick<BusinessCluster, 'metadata' | 'status'>): string {
  const endpoint = cluster.status?.endpoint;
  if (!endpoint) throw new Error(`BusinessCluster ${where(cluster)} has no endpoint yet (phase ${cluster.status?.phase ?? 'unknown'})`);
  return endpoint;
}

/** What of a core/v1 Event the listing shows. */
export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | Date;
  lastTimestamp?: string | Date;
  eventTime?: string | Date;
  metadata?: { creationTimestamp?: string | Date };
  source?: { component?: string };
  reportingController?: string;
}

const iso = (t: string | Date | undefined) => (t === undefined ? undefined : t instanceof Date ? t.toISOString() : t);
const lastSeen = (e: EventLike) =>
  iso(e.lastTimestamp) ?? iso(e.eventTime) ?? iso(e.firstTimestamp) ?? iso(e.metadata?.creationTimestamp) ?? '';

/** A plain-text listing of an object's events, oldest first (as `kubectl describe` shows them). */
export function formatEvents(
  ref: { kind: string; namespace?: string; name: string },
  events: readonly EventLike[],
  context: string,
): string {
  const header =
    `# Events of ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} in ${context} (the apiserver keeps ` +
    `events for about an hour)`;
  if (events.length === 0) return `${header}\n\nNo events.\n`;
  const rows = [...events]
    .sort((a, b) => (lastSeen(a) < lastSeen(b) ? -1 : lastSeen(a) > lastSeen(b) ? 1 : 0))
    .map((e) => [
      lastSeen(e),
      e.type ?? '',
      e.reason ?? '',
      String(e.count ?? 1),
      e.reportingController || e.source?.component || '',
      (e.message ?? '').replace(/\s*\n\s*/g, ' '),
    ]);
  const head = ['LAST SEEN', 'TYPE', 'REASON', 'COUNT', 'FROM', 'MESSAGE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${header}\n\n${[head, ...rows].map(line).join('\n')}\n`;
}
