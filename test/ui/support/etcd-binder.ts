// The UI test's stand-in for a scheduler, for etcd member pods only: binds the unscheduled member pods of one
// namespace to the pod runner's Node, so the etcd operator's members really run. The business control-plane
// pods the cluster operator renders are left unscheduled on purpose: their NodePort endpoint has no kube-proxy
// in front of it, and three more kube binaries would compete for the machine's two cores with code-server.
import { CoreV1Api, type KubeConfig, type KubernetesListObject, type V1Pod } from '@kubernetes/client-node';
import { Informer } from '../../../src/controller/informer';
import { makeObjectApi } from '../../../src/kube';
import { LABEL_CLUSTER } from '../../../src/operators/etcd/names';

export async function startEtcdPodBinder(
  kc: KubeConfig,
  namespace: string,
  nodeName: string,
  log: (l: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const objects = makeObjectApi(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const bound = new Set<string>();
  const informer = new Informer<V1Pod>(kc, {
    path: `/api/v1/namespaces/${namespace}/pods`,
    labelSelector: LABEL_CLUSTER,
    list: async () =>
      (await objects.list<V1Pod>(
        'v1',
        'Pod',
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        LABEL_CLUSTER,
      )) as KubernetesListObject<V1Pod>,
  });
  informer.onEvent((pod, kind) => {
    const uid = pod.metadata?.uid;
    if (kind === 'delete' || !uid || pod.spec?.nodeName || pod.metadata?.deletionTimestamp || bound.has(uid)) return;
    bound.add(uid);
    const name = pod.metadata!.name!;
    core
      .createNamespacedBinding({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      })
      .then(() => log(`bound etcd pod ${namespace}/${name} to ${nodeName}`))
      .catch((e: Error) => {
        bound.delete(uid);
        log(`binding etcd pod ${namespace}/${name}: ${e.message}`);
      });
  });
  await informer.start();
  return { stop: () => informer.stop() };
}
