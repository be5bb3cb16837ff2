// Deleting a BusinessCluster that has ManifestWorks on it, on real processes (support.ts: a real meta control plane,
// one business cluster run by the pod runner, the real OCM v1.0.0 hub and its hosted agent). OCM keeps a
// ManagedCluster until its works are gone, and only the agent clears them (it deletes what a work applied, unless
// the work's deleteOption is Orphan, then drops the work's finalizer), so the detach must delete the ManagedCluster
// while the agent and the business apiserver still run, and the cluster operator must wait for the detach:
// - the default work's ConfigMap is removed from the business cluster, seen by its still-running apiserver;
// - the Orphan work's ConfigMap is still there when the ManagedCluster is gone (the control plane still up);
// - then no ManagedCluster, hub namespace, agent, credentials, finalizer or BusinessCluster is left.
import * as assert from 'node:assert/strict';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { waitFor } from '../../../src/controlplane';
import { applyObject, readObject } from '../../../src/kube';
import { AGENT_NAMESPACE, agentNames, managedClusterName } from '../../../src/operators/multicluster/names';
import { cond, mcRef, startMulticlusterEnv, type MC, type MulticlusterEnv } from './support';

const NS = 'detach';
const API = 'kokpit.dev/v1alpha1';
const MCN = managedClusterName(NS, 'x');

const work = (name: string, orphan: boolean) => ({
  apiVersion: 'work.open-cluster-management.io/v1',
  kind: 'ManifestWork',
  metadata: { name, namespace: MCN },
  spec: {
    workload: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { from: 'hub' } }] },
    ...(orphan ? { deleteOption: { propagationPolicy: 'Orphan' } } : {}),
  },
});

describe('multicluster: deleting a BusinessCluster with ManifestWorks detaches it before its control plane goes', function () {
  let env: MulticlusterEnv;
  const objects = () => env.objects();

  before(async function () {
    this.timeout(900_000);
    env = await startMulticlusterEnv({ namespace: NS, clusters: [{ name: 'x', multicluster: { leaseDurationSeconds: 20 } }] });
  });

  after(async function () {
    this.timeout(120_000);
    await env?.stop();
  });

  it('works removed or orphaned as their deleteOption says, then nothing left and the BusinessCluster gone', async function () {
    this.timeout(1_500_000);
    await env.waitAvailable(['x']);
    env.log('x Joined and Available');
    for (const w of [work('removed', false), work('orphaned', true)])
      await applyObject(objects(), w as KubernetesObject, { fieldManager: 'kokpit-test' });
    await waitFor(
      'both ManifestWorks Applied',
      async (st) => {
        const ws = await Promise.all([work('removed', false), work('orphaned', true)].map((w) => readObject<MC>(objects(), w)));
        st.lastReason = ws.map((w) => `${w?.metadata?.name}: Applied=${cond(w, 'Applied')}`).join('; ');
        return ws.every((w) => cond(w, 'Applied') === 'True') || undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    const business: KubeConfig = await env.businessKubeConfig('x');
    const core = business.makeApiClient(CoreV1Api);
    /** The business cluster's ConfigMaps in default, or undefined when its apiserver does not answer. */
    const configMaps = async () =>
      core.listNamespacedConfigMap({ namespace: 'default' }).then(
        (l) => l.items.map((c) => c.metadata!.name!),
        () => undefined,
      );
    assert.deepEqual((await configMaps())?.filter((n) => n !== 'kube-root-ca.crt').sort(), ['orphaned', 'removed']);

    const t0 = env.elapsed();
    await objects().delete({ apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'x', namespace: NS } } as KubernetesObject);
    env.log('BusinessCluster x deleted');
    // Until the ManagedCluster is gone: the business apiserver must keep answering, the default work's ConfigMap
    // must go, the Orphan one's stay.
    let removedAt: number | undefined;
    const atGone = await waitFor(
      'ManagedCluster gone',
      async (st) => {
        const cms = await configMaps();
        const mc = await readObject<MC>(objects(), mcRef(MCN));
        if (cms && !cms.includes('removed') && removedAt === undefined) {
          removedAt = env.elapsed() - t0;
          env.log(`ConfigMap removed gone from the business cluster (+${removedAt.toFixed(1)} s)`);
        }
        st.lastReason = `ConfigMaps: ${cms?.join(',') ?? 'apiserver not answering'}; ManagedCluster: ${mc ? 'there' : 'gone'}`;
        return mc ? undefined : { cms };
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    const mcGoneAt = env.elapsed() - t0;
    env.log(`ManagedCluster ${MCN} gone (+${mcGoneAt.toFixed(1)} s)`);
    assert.ok(atGone.cms, 'the business apiserver answers when the ManagedCluster is gone: the control plane waited for the detach');
    assert.ok(!atGone.cms.includes('removed'), `the default work's ConfigMap was removed from the business cluster: ${atGone.cms}`);
    assert.ok(atGone.cms.includes('orphaned'), `the Orphan work's ConfigMap stays: ${atGone.cms}`);

    const n = agentNames(MCN);
    const exists = async (ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, what: string) =>
      (await readObject(objects(), ref)) ? [what] : [];
    await waitFor(
      'BusinessCluster x, agent and its pods, Secrets and hub namespace gone',
      async (st) => {
        const bc = await readObject<KubernetesObject>(objects(), {
          apiVersion: API,
          kind: 'BusinessCluster',
          metadata: { name: 'x', namespace: NS },
        });
        const left = [
          ...(bc ? [`BusinessCluster (finalizers ${bc.metadata?.finalizers?.join(',') || 'none'})`] : []),
          ...(await exists(mcRef(MCN), 'ManagedCluster')),
          ...(await exists({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: MCN } }, `namespace ${MCN}`)),
          ...(await exists(
            { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: n.deployment, namespace: AGENT_NAMESPACE } },
            'agent',
          )),
          ...(
            await Promise.all(
              [n.managedKubeconfigSecret, n.hubKubeconfigSecret, n.bootstrapSecret].map((s) =>
                exists({ apiVersion: 'v1', kind: 'Secret', metadata: { name: s, namespace: AGENT_NAMESPACE } }, `Secret ${s}`),
              ),
            )
          ).flat(),
          ...(
            await env.kc
              .makeApiClient(CoreV1Api)
              .listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: `open-cluster-management.io/cluster-name=${MCN}` })
          ).items.map((p) => `pod ${p.metadata?.name}`),
        ];
        st.lastReason = `left: ${left.join(', ')}`;
        return left.length === 0 || undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000 },
    );
    env.log(`all gone (+${(env.elapsed() - t0).toFixed(1)} s); default ConfigMap gone at +${removedAt?.toFixed(1)} s`);
  });
});
