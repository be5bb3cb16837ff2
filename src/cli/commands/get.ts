// `kokpit get clusters|etcd|machines|versions|addons|rollouts|managedclusters|works|placements [-o wide|yaml|json]`:
// kokpit's (and Open Cluster Management's) objects of the meta cluster as a table (like kubectl), or as YAML/JSON
// lists. Secrets are never read here.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { API_VERSION, STATE_REASON_ANNOTATION } from '../../api';
import { OCM_KINDS, findOcmKind, ocmApiVersion } from '../../api/ocm';
import { describeKubeError, listObjects, makeObjectApi } from '../../kube';
import { ocmNotInstalled } from '../ocm';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { EXIT, UsageError, type Command } from '../command';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any kokpit kind's spec and status, read field by field for tables
type Obj = KubernetesObject & { spec?: Record<string, any>; status?: Record<string, any> };
type Cond = { type: string; status: string; reason?: string };

const ocmVersion = (kind: string) => ocmApiVersion(OCM_KINDS.find((k) => k.kind === kind)!);

export const RESOURCES = {
  clusters: { kind: 'BusinessCluster', apiVersion: API_VERSION, namespaced: true, aliases: ['cluster', 'businessclusters', 'bc'] },
  etcd: { kind: 'EtcdCluster', apiVersion: API_VERSION, namespaced: true, aliases: ['etcdclusters', 'ec'] },
  machines: { kind: 'Machine', apiVersion: API_VERSION, namespaced: true, aliases: ['machine', 'ma'] },
  versions: { kind: 'KubernetesVersion', apiVersion: API_VERSION, namespaced: false, aliases: ['version', 'kubernetesversions', 'kv'] },
  addons: { kind: 'Addon', apiVersion: API_VERSION, namespaced: false, aliases: ['addon'] },
  rollouts: { kind: 'FleetRollout', apiVersion: API_VERSION, namespaced: false, aliases: ['rollout', 'fleetrollouts', 'fro'] },
  // Open Cluster Management's (issue 18): served once the hub is installed (`kokpit up --with-ocm`).
  managedclusters: {
    kind: 'ManagedCluster',
    apiVersion: ocmVersion('ManagedCluster'),
    namespaced: false,
    aliases: ['managedcluster', 'mcl', 'mcls'],
  },
  works: { kind: 'ManifestWork', apiVersion: ocmVersion('ManifestWork'), namespaced: true, aliases: ['work', 'manifestworks', 'mw'] },
  placements: { kind: 'Placement', apiVersion: ocmVersion('Placement'), namespaced: true, aliases: ['placement'] },
} as const;
export type ResourceName = keyof typeof RESOURCES;

export function resolveResource(word: string): ResourceName {
  for (const [name, r] of Object.entries(RESOURCES))
    if (name === word || (r.aliases as readonly string[]).includes(word)) return name as ResourceName;
  throw new UsageError(`unknown resource "${word}": one of ${Object.keys(RESOURCES).join(', ')}`);
}

const cond = (o: Obj, type: string) => (o.status?.conditions as Cond[] | undefined)?.find((c) => c.type === type);
const labelsText = (o: Obj) =>
  Object.entries(o.metadata?.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '-';
const condText = (o: Obj, type: string) => {
  const c = cond(o, type);
  return c ? (c.status === 'True' ? 'True' : `${c.status}(${c.reason ?? '?'})`) : '-';
};
export function age(o: Obj, now = Date.now()): string {
  const t = o.metadata?.creationTimestamp ? new Date(o.metadata.creationTimestamp as unknown as string).getTime() : NaN;
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

/** Columns per resource; `wide` adds the trailing ones. */
// eslint-disable-next-line max-lines-per-function -- one table of columns per resource kind
export function columns(resource: ResourceName, wide: boolean): Array<[string, (o: Obj) => string]> {
  const ns: Array<[string, (o: Obj) => string]> = [
    ['NAMESPACE', (o) => o.metadata?.namespace ?? ''],
    ['NAME', (o) => o.metadata?.name ?? ''],
  ];
  const name: Array<[string, (o: Obj) => string]> = [['NAME', (o) => o.metadata?.name ?? '']];
  const cols: Record<ResourceName, { base: Array<[string, (o: Obj) => string]>; wide: Array<[string, (o: Obj) => string]> }> = {
    clusters: {
      base: [
        ...ns,
        ['PHASE', (o) => o.status?.phase ?? '-'],
        ['VERSION', (o) => o.status?.version ?? `(${o.spec?.version ?? '?'})`],
        ['READY', (o) => condText(o, 'Ready')],
        ['ENDPOINT', (o) => o.status?.endpoint ?? '-'],
        ['AGE', (o) => age(o)],
      ],
      wide: [
        [
          'ETCD',
          (o) =>
            o.spec?.etcd?.managed
              ? `managed(${o.spec.etcd.managed.replicas ?? 1})`
              : o.spec?.etcd?.clusterRef
                ? `ref:${o.spec.etcd.clusterRef.name}`
                : '-',
        ],
        ['CONTROL-PLANE', (o) => condText(o, 'ControlPlaneReady')],
        ['ADDONS', (o) => condText(o, 'AddonsReady')],
      ],
    },
    etcd: {
      base: [
        ...ns,
        ['PHASE', (o) => o.status?.phase ?? '-'],
        ['READY', (o) => `${o.status?.readyMembers ?? 0}/${o.spec?.replicas ?? '?'}`],
        ['VERSION', (o) => o.status?.currentVersion ?? `(${o.spec?.version ?? '?'})`],
        ['AVAILABLE', (o) => condText(o, 'Available')],
        ['AGE', (o) => age(o)],
      ],
      wide: [
        ['LEADER', (o) => o.status?.leader ?? '-'],
        ['ENDPOINT', (o) => o.status?.clientEndpoint ?? '-'],
      ],
    },
    machines: {
      base: [
        ...ns,
        ['CLUSTER', (o) => o.spec?.clusterRef?.name ?? '-'],
        ['PROVIDER', (o) => o.spec?.provider ?? '-'],
        ['PHASE', (o) => o.status?.phase ?? '-'],
        ['NODE', (o) => o.status?.nodeName ?? '-'],
        ['AGE', (o) => age(o)],
      ],
      wide: [
        ['ROLE', (o) => o.spec?.role ?? '-'],
        ['KUBELET', (o) => o.status?.kubeletVersion ?? '-'],
      ],
    },
    versions: {
      base: [
        ...name,
        ['VERSION', (o) => o.spec?.version ?? '-'],
        ['STATE', (o) => o.spec?.state ?? '-'],
        ['ETCD', (o) => o.spec?.etcd?.recommendedVersion ?? '-'],
      ],
      wide: [
        ['NODE-IMAGE', (o) => o.spec?.nodeImage ?? '-'],
        ['WHY', (o) => o.metadata?.annotations?.[STATE_REASON_ANNOTATION] ?? '-'],
      ],
    },
    addons: {
      base: [...name, ['VERSION', (o) => o.spec?.version ?? '-'], ['AGE', (o) => age(o)]],
      wide: [
        // Versions side by side: which addon this object is a version of, and the one unpinned clusters get.
        ['ADDON', (o) => o.spec?.name ?? o.metadata?.name ?? '-'],
        ['DEFAULT', (o) => (o.spec?.default ? 'yes' : '-')],
        ['DESCRIPTION', (o) => String(o.spec?.description ?? '-').slice(0, 60)],
      ],
    },
    rollouts: {
      base: [
        ...name,
        ['TARGET', (o) => o.spec?.target?.kubernetesVersion ?? `${o.spec?.target?.addon?.name}=${o.spec?.target?.addon?.version}`],
        ['PHASE', (o) => o.status?.phase ?? '-'],
        ['WAVE', (o) => o.status?.currentWave ?? '-'],
        ['DONE', (o) => `${o.status?.counts?.succeeded ?? 0}/${o.status?.counts?.total ?? 0}`],
        ['FAILED', (o) => String(o.status?.counts?.failed ?? 0)],
        ['AGE', (o) => age(o)],
      ],
      wide: [
        ['SKIPPED', (o) => String(o.status?.counts?.skipped ?? 0)],
        ['PROGRESSING', (o) => condText(o, 'Progressing')],
      ],
    },
    ...ocmColumns(ns, name),
  };
  return [...cols[resource].base, ...(wide ? cols[resource].wide : [])];
}

type Columns = Array<[string, (o: Obj) => string]>;

/** OCM's kinds, with the condition types OCM sets (the columns `kubectl get` shows from their CRDs, plus labels). */
function ocmColumns(ns: Columns, name: Columns): Record<'managedclusters' | 'works' | 'placements', { base: Columns; wide: Columns }> {
  return {
    managedclusters: {
      base: [
        ...name,
        ['ACCEPTED', (o) => String(o.spec?.hubAcceptsClient ?? false)],
        ['JOINED', (o) => condText(o, 'ManagedClusterJoined')],
        ['AVAILABLE', (o) => condText(o, 'ManagedClusterConditionAvailable')],
        ['AGE', (o) => age(o)],
      ],
      wide: [
        ['URL', (o) => o.spec?.managedClusterClientConfigs?.[0]?.url ?? '-'],
        ['LABELS', labelsText],
      ],
    },
    works: {
      base: [...ns, ['APPLIED', (o) => condText(o, 'Applied')], ['AVAILABLE', (o) => condText(o, 'Available')], ['AGE', (o) => age(o)]],
      wide: [
        ['MANIFESTS', (o) => String(o.spec?.workload?.manifests?.length ?? 0)],
        ['DEGRADED', (o) => condText(o, 'Degraded')],
      ],
    },
    placements: {
      base: [
        ...ns,
        ['DECISIONS', (o) => String(o.status?.numberOfSelectedClusters ?? 0)],
        ['SATISFIED', (o) => condText(o, 'PlacementSatisfied')],
        ['AGE', (o) => age(o)],
      ],
      wide: [
        ['CLUSTERSETS', (o) => (o.spec?.clusterSets as string[] | undefined)?.join(',') || '-'],
        ['MISCONFIGURED', (o) => condText(o, 'PlacementMisconfigured')],
      ],
    },
  };
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [headers, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ')).join('\n');
}

export async function listResource(kc: KubeConfig, resource: ResourceName, namespace?: string): Promise<Obj[]> {
  const r = RESOURCES[resource];
  const items = await listObjects<Obj>(makeObjectApi(kc), r.apiVersion, r.kind, r.namespaced && namespace ? { namespace } : {});
  return items.sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
}

export function formatObjects(resource: ResourceName, items: Obj[], output: string | undefined): string {
  if (output === 'json' || output === 'yaml') {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: items.map((o) => ({
        ...o,
        apiVersion: RESOURCES[resource].apiVersion,
        kind: RESOURCES[resource].kind,
        metadata: { ...o.metadata, managedFields: undefined },
      })),
    };
    const clean = JSON.parse(JSON.stringify(list));
    return output === 'json' ? JSON.stringify(clean, null, 2) : stringify(clean);
  }
  if (!items.length) return `No ${resource} found.`;
  const cols = columns(resource, output === 'wide');
  return table(
    cols.map(([h]) => h),
    items.map((o) => cols.map(([, f]) => f(o))),
  );
}

export const getCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'namespace', short: 'n', value: true },
      { name: 'output', short: 'o', value: true, oneOf: ['wide', 'yaml', 'json'] },
    ]);
    if (p.positionals.length !== 1) throw new UsageError(`give one resource: ${Object.keys(RESOURCES).join(', ')}`);
    const resource = resolveResource(p.positionals[0]);
    const { kc, source } = metaCluster(p);
    let items: Obj[];
    try {
      items = await listResource(kc, resource, str(p, 'namespace'));
    } catch (e) {
      const ocm = findOcmKind(RESOURCES[resource].kind);
      const missing = ocm && (await ocmNotInstalled(kc, [ocm]).catch(() => undefined));
      const msg = missing ?? describeKubeError(e);
      io.err(`kokpit get: cannot list ${RESOURCES[resource].kind} in the meta cluster (${source}): ${msg}`);
      return EXIT.FAILED;
    }
    io.out(formatObjects(resource, items, str(p, 'output')));
    return EXIT.OK;
  },
};
