// Every binary a local environment will run, worked out before anything starts so `kokpit up` builds them
// all first (with progress) instead of discovering a missing one minutes later: the meta control plane, the
// business clusters' pods (the pod runner maps their images to binaries), the machine provider's, and with --with-ocm
// the Open Cluster Management hub's controllers and agents (built on demand otherwise: they are not in setup:bins' default).
import { ETCD_VERSION, KWOK_VERSION } from '../binaries/catalog';
import type { BinaryRequest } from '../binaries/build';
import { controlPlaneBinaries } from '../controlplane';
import { OCM_IMAGES } from '../operators/multicluster/names';
import { parseImage } from '../podrunner/images';
import type { LocalEnvironmentConfig } from './config';
import { SAMPLE_VERSION } from './sample';

export interface EnvironmentNeeds {
  runtime: 'sandbox' | 'kind';
  config: LocalEnvironmentConfig;
  withSample: boolean;
  /** `--with-ocm` (sandbox): the OCM hub in the meta cluster and a hosted agent per business cluster. */
  withOcm?: boolean;
}

/** What each binary is for, deduplicated, in a stable order (the build order is the catalog's). */
export function environmentBinaries(n: EnvironmentNeeds): Array<BinaryRequest & { why: string }> {
  const out = new Map<string, BinaryRequest & { whys: Set<string> }>();
  const add = (component: string, version: string, why: string) => {
    const k = `${component}@${version}`;
    if (!out.has(k)) out.set(k, { component, version, whys: new Set() });
    out.get(k)!.whys.add(why);
  };
  const result = () => [...out.values()].map(({ whys, ...r }) => ({ ...r, why: [...whys].join(', ') }));
  // kind: the meta cluster and the business clusters' pods run in Docker from images; the host runs the
  // manager, whose etcd operator reads backups back with etcdutl.
  if (n.runtime === 'kind') {
    add('etcdutl', ETCD_VERSION, 'reading etcd backups back');
    return result();
  }
  for (const r of controlPlaneBinaries({ kubernetesVersion: n.config.kubernetesVersion, controllers: true }))
    add(r.component, r.version, 'meta control plane');
  const versions = new Set<string>();
  if (n.withSample) versions.add(SAMPLE_VERSION);
  for (const bc of n.config.businessClusters) {
    const v = (bc.spec as { version?: string } | undefined)?.version;
    if (v) versions.add(v);
  }
  if (versions.size > 0) {
    // Every business cluster's managed etcd runs the catalog's recommended etcd image (etcd, etcdctl, etcdutl).
    add('etcd', ETCD_VERSION, "business clusters' etcd");
    add('etcdutl', ETCD_VERSION, 'etcd backups and restores');
  }
  for (const v of [...versions].sort()) {
    for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) add(c, v, `business control planes at ${v}`);
  }
  // The sample's Machines (and any kwok Machine the user adds) are kwok Nodes in the sandbox.
  add('kwok', KWOK_VERSION, 'simulated worker nodes (kwok Machines)');
  // The images the hub's controllers and the agents run, as the pod runner maps them (quay.io/…/<command>:<version>).
  if (n.withOcm)
    for (const image of Object.values(OCM_IMAGES)) {
      const { repository, tag } = parseImage(image);
      add(repository.split('/').at(-1)!, tag, 'Open Cluster Management hub and agents (--with-ocm)');
    }
  return result();
}
