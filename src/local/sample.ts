// What `kokpit up` puts into a fresh meta cluster (the default catalog) and the `--with-sample` business
// cluster, with a wait that reports each condition as it turns True.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, STATE_REASON_ANNOTATION, type KubernetesVersion } from '../api';
import { KUBE_E2E_OLD_VERSION, UNAVAILABLE } from '../binaries/catalog';
import { defaultCatalog } from '../catalog';
import { minorOf } from '../kit';
import { kubernetesVersion } from '../catalog/versions';
import { applyObject, makeObjectApi, readObject } from '../kube';
import { waitFor } from '../controlplane/wait';
import { CONDITION_TYPES } from '../operators/cluster/conditions';

export const SAMPLE_NAME = 'sample';
export const SAMPLE_NAMESPACE = 'default';
/** The one version whose controller-manager and scheduler binaries kokpit builds here (v1.32's cannot be built). */
export const SAMPLE_VERSION = 'v1.33.13';

/**
 * The catalog a local environment installs: the default one, except that a release whose control-plane
 * binaries cannot be built here is `Unsupported` with the reason (v1.32.13: its controller-manager and
 * scheduler), and the v1.32 release that can be built whole (v1.32.0, built on demand) is offered instead.
 */
export function catalogObjects(): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const o of defaultCatalog() as unknown as Array<KubernetesObject & { spec?: KubernetesVersion['spec'] }>) {
    if (o.kind !== 'KubernetesVersion' || !o.spec) {
      out.push(o);
      continue;
    }
    const version = o.spec.version;
    const missing = UNAVAILABLE.filter((u) => u.version === version);
    if (missing.length === 0) {
      out.push(o);
      continue;
    }
    const reason =
      `${missing.map((u) => u.component).join(' and ')} ${version} cannot be built on this machine: ` +
      `the Go module proxy lacks their staging modules at that release`;
    out.push({
      ...o,
      metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, [STATE_REASON_ANNOTATION]: reason } },
      spec: { ...o.spec, state: 'Unsupported' },
    } as KubernetesObject);
    const buildable = kubernetesVersion(KUBE_E2E_OLD_VERSION);
    if (minorOf(KUBE_E2E_OLD_VERSION) === minorOf(version) && !out.some((x) => x.metadata?.name === buildable.metadata.name)) {
      out.push({
        ...buildable,
        metadata: {
          ...buildable.metadata,
          annotations: { [STATE_REASON_ANNOTATION]: `the ${minorOf(version)} release whose binaries build here (on demand)` },
        },
      } as unknown as KubernetesObject);
    }
  }
  return out;
}

/** How a runtime exposes the sample's API server (kind: a reserved NodePort and the meta node's name as a SAN). */
export interface SampleAPIServer {
  service?: { type: 'NodePort'; nodePort: number };
  certSANs?: string[];
  /** Addons the runtime's machines need (kind: a pod network, kube-proxy and CoreDNS on real nodes). */
  addons?: string[];
}

export function sampleBusinessCluster(name = SAMPLE_NAME, namespace = SAMPLE_NAMESPACE, apiServer?: SampleAPIServer): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: 'BusinessCluster',
    metadata: { name, namespace },
    spec: {
      version: SAMPLE_VERSION,
      etcd: { managed: { replicas: 1 } },
      ...(apiServer?.service || apiServer?.certSANs
        ? {
            apiServer: {
              ...(apiServer.service ? { service: apiServer.service } : {}),
              ...(apiServer.certSANs ? { certSANs: apiServer.certSANs } : {}),
            },
          }
        : {}),
      ...(apiServer?.addons?.length ? { addons: apiServer.addons.map((name) => ({ name })) } : {}),
    },
  } as KubernetesObject;
}

export function sampleMachines(cluster: string, namespace = SAMPLE_NAMESPACE, provider: 'kwok' | 'kind' = 'kwok'): KubernetesObject[] {
  return [0, 1].map(
    (i) =>
      ({
        apiVersion: API_VERSION,
        kind: 'Machine',
        metadata: { name: `${cluster}-worker-${i}`, namespace },
        spec: { clusterRef: { name: cluster }, provider, role: 'worker' },
      }) as KubernetesObject,
  );
}

type Condition = { type: string; status: string; reason?: string; message?: string };
type ClusterObject = KubernetesObject & { status?: { phase?: string; endpoint?: string; conditions?: Condition[] } };

export async function createSample(kc: KubeConfig, apiServer?: SampleAPIServer): Promise<void> {
  await applyObject(makeObjectApi(kc), sampleBusinessCluster(SAMPLE_NAME, SAMPLE_NAMESPACE, apiServer));
}

/**
 * Reads the BusinessCluster once a second until `done` holds for its conditions (the time since the wait began given
 * too). On timeout the error lists the conditions that are not True, and those `shown` names whatever they are.
 */
async function pollCluster(
  kc: KubeConfig,
  name: string,
  namespace: string,
  what: string,
  done: (conds: Condition[], ms: number) => boolean,
  timeoutMs: number,
  shown: string[] = [],
): Promise<ClusterObject> {
  const objects = makeObjectApi(kc);
  const t0 = Date.now();
  let last: ClusterObject | undefined;
  try {
    return await waitFor(
      `BusinessCluster ${namespace}/${name} ${what}`,
      async () => {
        last = await readObject<ClusterObject>(objects, {
          apiVersion: API_VERSION,
          kind: 'BusinessCluster',
          metadata: { name, namespace },
        });
        return done(last?.status?.conditions ?? [], Date.now() - t0) ? last : undefined;
      },
      { timeoutMs, intervalMs: 1000 },
    );
  } catch (e) {
    const waiting = (last?.status?.conditions ?? [])
      .filter((c) => c.status !== 'True' || shown.includes(c.type))
      .map((c) => `${c.type}=${c.status} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`);
    throw new Error(`${e instanceof Error ? e.message : String(e)}; not yet: ${waiting.join('; ') || 'no status'}`, { cause: e });
  }
}

/**
 * Waits until the BusinessCluster is Ready, calling `onCondition` once per condition the first time it
 * is True (in the order the reconciler reaches them), with the time since the wait began.
 */
export function waitClusterReady(
  kc: KubeConfig,
  name: string,
  namespace: string,
  onCondition: (type: string, ms: number, message?: string) => void,
  timeoutMs = 420_000,
): Promise<ClusterObject> {
  const seen = new Set<string>();
  return pollCluster(
    kc,
    name,
    namespace,
    'Ready',
    (conds, ms) => {
      for (const type of CONDITION_TYPES) {
        const c = conds.find((x) => x.type === type);
        if (c?.status === 'True' && !seen.has(type)) {
          seen.add(type);
          onCondition(type, ms, c.message);
        }
      }
      return conds.find((x) => x.type === 'Ready')?.status === 'True';
    },
    timeoutMs,
  );
}

/**
 * Waits until a cluster that has nodes runs its addons on them: Ready, and AddonsReady True because they are available
 * (not `AddonsAppliedNoNodes`, which a cluster without nodes reports). Machines that just joined start the addons'
 * pods; until they are available the cluster is not yet what `kokpit up --with-sample` promises. The time it took.
 */
export async function waitAddonsOnNodes(kc: KubeConfig, name: string, namespace: string, timeoutMs = 300_000): Promise<number> {
  const t0 = Date.now();
  await pollCluster(
    kc,
    name,
    namespace,
    'with its addons available on its nodes',
    (conds) => {
      const addons = conds.find((x) => x.type === 'AddonsReady');
      return addons?.status === 'True' && addons.reason === 'AddonsAvailable' && conds.find((x) => x.type === 'Ready')?.status === 'True';
    },
    timeoutMs,
    ['AddonsReady'],
  );
  return Date.now() - t0;
}

type MachineObject = KubernetesObject & { status?: { phase?: string; nodeName?: string; conditions?: Condition[] } };

/** Waits until every named Machine is Running, reporting each as it gets there. */
export async function waitMachinesRunning(
  kc: KubeConfig,
  machines: KubernetesObject[],
  onRunning: (name: string, node: string, ms: number) => void,
  timeoutMs = 180_000,
): Promise<void> {
  const objects = makeObjectApi(kc);
  const t0 = Date.now();
  const seen = new Set<string>();
  const last = new Map<string, MachineObject | undefined>();
  try {
    await waitFor(
      `${machines.length} Machines Running`,
      async () => {
        for (const m of machines) {
          const name = m.metadata!.name!;
          if (seen.has(name)) continue;
          const live = await readObject<MachineObject>(objects, {
            apiVersion: API_VERSION,
            kind: 'Machine',
            metadata: { name, namespace: m.metadata!.namespace },
          });
          last.set(name, live);
          if (live?.status?.phase === 'Running') {
            seen.add(name);
            onRunning(name, live.status.nodeName ?? '?', Date.now() - t0);
          }
        }
        return seen.size === machines.length ? true : undefined;
      },
      { timeoutMs, intervalMs: 1000 },
    );
  } catch (e) {
    const waiting = [...last]
      .filter(([n]) => !seen.has(n))
      .map(
        ([n, m]) =>
          `${n}: ${m?.status?.phase ?? 'no status'} ${(m?.status?.conditions ?? [])
            .filter((c) => c.status !== 'True')
            .map((c) => `${c.type} ${c.reason ?? ''} ${c.message ?? ''}`)
            .join('; ')}`,
      );
    throw new Error(`${e instanceof Error ? e.message : String(e)}; ${waiting.join(' | ')}`, { cause: e });
  }
}
