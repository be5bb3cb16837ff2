// The maintenance controller (issue 17): patch updates (`spec.maintenance.autoUpdate.patch`) and moves off a
// version that became Unsupported or expired, one BusinessCluster per pass, decided by render/maintenance.ts.
// It reads the cluster fresh (status.maintenance.last is its only memory), the catalog and the rollouts from the
// shared caches, writes its status fields first (the Maintenance condition and the record, under its own field
// manager, so the cluster operator's status applies keep them), then spec.version — like a rollout, and never
// while a rollout holds the cluster.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, type BusinessCluster, type Condition, type FleetRollout, type KubernetesVersion } from '../../api';
import { silentLogger, splitKey, type Logger, type ReconcileResult } from '../../controller/reconciler';
import { applyObject, makeObjectApi, readObject } from '../../kube';
import { applyStatus, canonicalJSON, compareVersions, setCondition } from '../../kit';
import { holdingRollout, MAINTENANCE_CONDITION, maintenanceDecision, type MaintenanceDecision } from './render/maintenance';

/** The field manager of what maintenance writes: spec.version, status.maintenance and its condition. */
export const MAINTENANCE_FIELD_MANAGER = 'kokpit-maintenance';

export interface MaintenanceRuntime {
  kc: KubeConfig;
  log?: Logger;
  now?: () => Date;
  cache: { versions(): readonly KubernetesVersion[]; rollouts(): readonly FleetRollout[] };
}

type Cluster = BusinessCluster & KubernetesObject;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class MaintenanceReconciler {
  private readonly objects;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(private readonly rt: MaintenanceRuntime) {
    this.objects = makeObjectApi(rt.kc);
    this.log = rt.log ?? silentLogger;
    this.now = rt.now ?? (() => new Date());
  }

  async reconcile(k: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(k);
    // Fresh, not from the cache: this pass must see the record the last pass wrote.
    const bc = await readObject<Cluster>(this.objects, { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name, namespace } });
    if (!bc || bc.metadata.deletionTimestamp) return;
    const now = this.now();
    const d = maintenanceDecision({
      cluster: bc,
      catalog: this.rt.cache.versions(),
      rollout: holdingRollout(this.rt.cache.rollouts(), bc),
      now,
    });
    this.log.debug(`maintenance: ${k}: ${d.condition ? `${d.condition.reason}: ${d.condition.message}` : 'nothing to do'}`);
    await this.writeStatus(bc, d, now);
    // After status: the record says what is in flight before the spec changes; a version already asked for is no write.
    if (d.setVersion && compareVersions(bc.spec.version, d.setVersion) < 0) {
      await applyObject(
        this.objects,
        {
          apiVersion: API_VERSION,
          kind: 'BusinessCluster',
          metadata: { name, namespace },
          spec: { version: d.setVersion },
        } as KubernetesObject,
        { fieldManager: MAINTENANCE_FIELD_MANAGER, force: true },
      );
      this.log.info(`maintenance: ${k} spec.version ${bc.spec.version} → ${d.setVersion} (${d.last?.action})`);
    }
    return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : undefined;
  }

  /** status.maintenance and the Maintenance condition, when either differs from what the cluster shows. */
  private async writeStatus(bc: Cluster, d: MaintenanceDecision, now: Date): Promise<void> {
    const live = bc.status?.conditions?.find((c) => c.type === MAINTENANCE_CONDITION);
    const same =
      canonicalJSON(bc.status?.maintenance?.last ?? null) === canonicalJSON(d.last ?? null) &&
      (d.condition
        ? live?.status === d.condition.status && live.reason === d.condition.reason && (live.message ?? '') === (d.condition.message ?? '')
        : !live);
    if (same) return;
    const condition: Condition | undefined = d.condition && setCondition(bc.status?.conditions, { ...d.condition }, iso(now));
    // Everything this manager owns, every time: a field left out of a server-side apply is given up (and removed).
    await applyStatus(
      this.rt.kc,
      { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: bc.metadata.name, namespace: bc.metadata.namespace } },
      'businessclusters',
      { ...(d.last ? { maintenance: { last: d.last } } : {}), conditions: condition ? [condition] : [] },
      MAINTENANCE_FIELD_MANAGER,
    );
    if (d.last && canonicalJSON(bc.status?.maintenance?.last ?? null) !== canonicalJSON(d.last))
      this.log.info(
        `maintenance: ${bc.metadata.namespace}/${bc.metadata.name} ${d.last.action} ${d.last.from} → ${d.last.to}: ${d.last.result}`,
      );
  }
}
