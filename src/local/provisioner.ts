// A tiny static volume provisioner for the sandbox meta cluster (it has no storage driver): each pending
// claim gets a pre-bound hostPath PersistentVolume; kube-controller-manager completes the binding, and
// the pod runner keeps hostPath volumes under its node root, so an etcd member's data outlives its pod.
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { Informer } from '../controller/informer';
import { createObject, describeKubeError, makeObjectApi } from '../kube';

export async function startHostPathProvisioner(kc: KubeConfig, log: (line: string) => void): Promise<{ stop(): Promise<void> }> {
  const objects = makeObjectApi(kc);
  const done = new Set<string>();
  const informer = new Informer<V1PersistentVolumeClaim>(kc, {
    path: '/api/v1/persistentvolumeclaims',
    list: async () =>
      (await objects.list<V1PersistentVolumeClaim>('v1', 'PersistentVolumeClaim')) as KubernetesListObject<V1PersistentVolumeClaim>,
  });
  informer.onEvent((pvc, kind) => {
    const uid = pvc.metadata?.uid;
    if (kind === 'delete' || !uid || pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp || done.has(uid)) return;
    done.add(uid);
    const ns = pvc.metadata!.namespace!;
    const name = pvc.metadata!.name!;
    void createObject(objects, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pv-${uid}`, labels: { 'kokpit.dev/provisioner': 'sandbox-hostpath' } },
      spec: {
        capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        // Retain: the sandbox's data goes away with its state directory on `kokpit down`.
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: pvc.spec?.storageClassName ?? '',
        hostPath: { path: `/var/lib/kokpit-volumes/${ns}-${name}-${uid.slice(0, 8)}`, type: 'DirectoryOrCreate' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid },
      },
    } as KubernetesObject).catch((e) => {
      done.delete(uid);
      log(`provisioner: PV for ${ns}/${name}: ${describeKubeError(e)}`);
    });
  });
  await informer.start();
  return { stop: () => informer.stop() };
}
