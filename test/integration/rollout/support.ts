// Shared by the rollout operator's tests on a real API server where the test plays the other operators
// (windows.test.ts, addon-target.test.ts, include-machines.test.ts): the meta control plane with kokpit's CRDs and
// default catalog, and the accessors each of them used to write out for itself.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, FleetRollout } from '../../../src/api';
import { defaultBinaryProvider } from '../../../src/binaries/provider';
import { Operators } from '../../../src/controller/operator';
import { clusterOperator } from '../../../src/operators/cluster/operator';
import { machineOperator } from '../../../src/operators/machine/operator';
import { rolloutOperator } from '../../../src/operators/rollout/operator';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { businessCluster, ensureNamespace, installDefaultVersions } from '../cluster/support';

export const API = 'kokpit.dev/v1alpha1';
export const FROM = 'v1.32.0';
export const TO = 'v1.33.13';

export type Rollout = FleetRollout & KubernetesObject;
export type Cluster = BusinessCluster & KubernetesObject;

/** A meta control plane with the CRDs, the namespace `ns` and the default KubernetesVersions (`audit`: its writes logged). */
export async function startRolloutControlPlane(ns: string, o: { audit?: boolean } = {}): Promise<ControlPlane> {
  const cp = await startControlPlane({ audit: o.audit });
  try {
    const kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, ns);
    await installDefaultVersions(kc);
    return cp;
  } catch (e) {
    await cp.stop();
    throw e;
  }
}

/**
 * Reads and writes against the API server `kc()` names (a getter: the tests make it in `before`), BusinessClusters
 * in `ns`; the test's own writes go under the field manager `kokpit-test`.
 */
export function rolloutAccessors(kc: () => KubeConfig, ns: string) {
  const objects = () => makeObjectApi(kc());
  const readRollout = (name: string) => readObject<Rollout>(objects(), { apiVersion: API, kind: 'FleetRollout', metadata: { name } });
  const apply = (o: object) => applyObject(objects(), o as KubernetesObject, { fieldManager: 'kokpit-test' });
  /** The cluster operator's last word, played by the test: Ready at `version` for `generation`. */
  const clusterStatus = (name: string, version: string, generation: number) =>
    applyStatus(kc(), { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: ns } }, 'businessclusters', {
      phase: 'Running',
      version,
      observedGeneration: generation,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: generation, lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    });
  return {
    objects,
    readRollout,
    apply,
    readBC: async (name: string) =>
      (await readObject<Cluster>(objects(), { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: ns } }))!,
    clusterStatus,

    /** A BusinessCluster at FROM (on the shared etcd `shared`) with these labels, Ready there as the cluster operator says. */
    readyClusterAtFrom: async (name: string, labels: Record<string, string>) => {
      const bc = businessCluster(name, ns, { version: FROM, etcd: { clusterRef: { name: 'shared' } } });
      await apply({ ...bc, metadata: { name, namespace: ns, labels } });
      await clusterStatus(name, FROM, 1);
    },

    /** Waits until cluster `name` asks for `version`: the operator writes a row before its cluster's spec, so a row seen
     *  Upgrading may be a moment ahead of the spec write. */
    specAt: (name: string, version: string) =>
      waitFor(
        `${name}: spec.version ${version}`,
        async (st) => {
          const v = (await readObject<Cluster>(objects(), { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: ns } }))
            ?.spec.version;
          st.lastReason = `spec.version ${v}`;
          return v === version ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      ),

    /** Waits until rollout `name` satisfies `ok`; a timeout says what its status was last. */
    rolloutWhere: (name: string, what: string, ok: (r: Rollout) => boolean) =>
      waitFor(
        `rollout ${name}: ${what}`,
        async (st) => {
          const r = await readRollout(name);
          st.lastReason = JSON.stringify(r?.status ?? {});
          return r && ok(r) ? r : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 300 },
      ),
  };
}

/**
 * "The manager" of the tests where the real operators run (waves.test.ts, addon-rollout-real.test.ts): the cluster,
 * machine and rollout operators on one set of shared informers, as kokpit's manager runs them; business API servers
 * reached at `endpoint(cluster name)` (a loopback load balancer), debug lines dropped.
 */
export async function startFleetManager(kc: KubeConfig, endpoint: (cluster: string) => string | undefined, log: (line: string) => void) {
  const olog = (lvl: string) => (m: string) => log(`[manager] ${lvl} ${m}`);
  const ops = new Operators(
    kc,
    [
      clusterOperator({ hostEndpoint: (c) => endpoint(c.metadata.name), waitRequeueMs: 2000 }),
      machineOperator({ binaries: defaultBinaryProvider(), controller: { backoff: { baseMs: 200, maxMs: 5_000 } } }),
      rolloutOperator(),
    ],
    { info: olog('info'), warn: olog('warn'), error: olog('error'), debug: () => {} },
  );
  await ops.start();
  return ops;
}
