// The fleet as Prometheus gauges (`kokpit_*`), computed at scrape time from the manager's shared informer
// caches: a scrape costs no API request, and the numbers are what the operators see.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import type { BusinessCluster, EtcdCluster, EtcdMemberStatus, Machine } from '../api';
import { kokpitWatch, type SharedInformers } from '../controller/shared-informers';

type Cached<T> = () => readonly T[];

/**
 * Registers the fleet gauges over the manager's informers. They read only caches its operators asked for: a
 * manager without the cluster operator (a test's) reports no clusters rather than start watches of its own.
 */
export function registerFleetMetrics(registry: Registry, informers: SharedInformers): void {
  const list =
    <T>(kind: string): Cached<T> =>
    () =>
      (informers.existing<KubernetesObject>(kokpitWatch(kind))?.list() ?? []) as unknown as readonly T[];
  const clusters = list<BusinessCluster>('BusinessCluster');
  const etcds = list<EtcdCluster>('EtcdCluster');
  const machines = list<Machine>('Machine');
  const registers = [registry];

  new Gauge({
    name: 'kokpit_business_clusters',
    help: 'Business clusters by phase and running Kubernetes version',
    labelNames: ['phase', 'version'],
    registers,
    collect() {
      this.reset();
      for (const c of clusters()) this.inc({ phase: c.status?.phase ?? 'Pending', version: c.status?.version ?? c.spec.version });
    },
  });
  new Gauge({
    name: 'kokpit_machines',
    help: 'Machines by phase',
    labelNames: ['phase'],
    registers,
    collect() {
      this.reset();
      for (const m of machines()) this.inc({ phase: m.status?.phase ?? 'Pending' });
    },
  });
  const members = () =>
    etcds().flatMap((e) =>
      (e.status?.members ?? []).map((m) => ({
        labels: { namespace: e.metadata.namespace ?? '', cluster: e.metadata.name, member: m.name },
        m,
      })),
    );
  // One gauge per member fact, labelled by the member; a member without the fact (not answering) has no sample.
  const memberGauge = (name: string, help: string, value: (m: EtcdMemberStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'cluster', 'member'],
      registers,
      collect() {
        this.reset();
        for (const { labels, m } of members()) {
          const v = value(m);
          if (v !== undefined) this.set(labels, v);
        }
      },
    });
  memberGauge('kokpit_etcd_member_healthy', 'Whether an etcd member answered its health check at the last pass (1) or not (0)', (m) =>
    m.healthy ? 1 : 0,
  );
  memberGauge('kokpit_etcd_db_size_bytes', 'Backend database size of an etcd member', (m) => m.dbSize);
  memberGauge(
    'kokpit_etcd_db_size_in_use_bytes',
    'Bytes of the backend database in use (the rest is reclaimable by defragmentation)',
    (m) => m.dbSizeInUse,
  );
}
