// A real business control plane for a UI test, the lightest real setup (as in test/integration/cluster/podrunner.test.ts):
// a meta kube-apiserver + etcd + kube-controller-manager (src/controlplane), the cluster operator in this process
// rendering one BusinessCluster (v1.33.13), and the process pod runner running its kube-apiserver, controller-manager
// and scheduler as real processes. Two stand-ins, said plainly: the EtcdCluster is a plain etcd process marked
// Available by the test (no etcd operator), and a loopback TCP proxy plays the load balancer in front of the
// apiserver pod. The editor's own reconcilers stay off in the tests that use it: the cluster operator runs here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { applyObject, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { startClusterOperator, type ClusterOperator } from '../../../src/operators/cluster/operator';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { startEditorSession, type EditorSession } from './editor-session';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  startLoopbackLB,
  startPlainEtcd,
} from '../../integration/cluster/support';

export interface BusinessControlPlane {
  cp: ControlPlane;
  /** The meta cluster. */
  kc: KubeConfig;
  runner: PodRunner;
  operator: ClusterOperator;
  /** The label selector of the cluster's kube-apiserver pods. */
  apiserverSelector: string;
  /** The business cluster's admin kubeconfig, from the Secret the cluster operator wrote (undefined until then). */
  adminKubeConfig(): Promise<KubeConfig | undefined>;
  /** Stops everything it started, in reverse order. */
  stop(): Promise<void>;
}

export async function startBusinessControlPlane(opts: {
  /** A directory of the test's own (the runner's state and log go under it). */
  dir: string;
  namespace: string;
  name: string;
  log: (line: string) => void;
}): Promise<BusinessControlPlane> {
  const { dir, namespace: ns, name, log } = opts;
  const apiserverSelector = `kokpit.dev/cluster=${name},kokpit.dev/component=apiserver`;
  // What started so far, stopped in reverse order by stop() or when a later step fails.
  const started: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of started.reverse()) await s().catch((e) => log(`stopping: ${e instanceof Error ? e.message : e}`));
    started.length = 0;
  };
  try {
    const [cp, etcd] = await Promise.all([startControlPlane({ controllers: true, log }), startPlainEtcd()]);
    started.push(() => Promise.all([cp.stop(), etcd.stop()]));
    const kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, ns);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, ns, 'shared', etcd);
    const runnerLog = path.join(dir, 'pod-runner.log');
    const runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: `ui-${name}-node`,
      stateDir: path.join(dir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
      kubelet: cp.kubelet,
      log: (l) => fs.appendFileSync(runnerLog, `${new Date().toISOString()} ${l}\n`),
    });
    started.push(() => runner.stop());
    const lb = await startLoopbackLB(kc, ns, apiserverSelector, 6443);
    started.push(() => lb.stop());
    const quiet = () => undefined;
    const operator = await startClusterOperator({
      kc,
      hostEndpoint: () => lb.url,
      waitRequeueMs: 2000,
      log: { info: quiet, debug: quiet, warn: (m) => log(`operator: ${m}`), error: (m) => log(`operator: ${m}`) },
    });
    started.push(() => operator.stop());
    await applyObject(
      makeObjectApi(kc),
      businessCluster(name, ns, {
        version: 'v1.33.13',
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'ClusterIP' } },
      }),
      { fieldManager: 'kokpit-test' },
    );
    log(`pod runner log ${runnerLog}`);
    const adminKubeConfig = async (): Promise<KubeConfig | undefined> => {
      const s = await readObject<KubernetesObject & { data?: Record<string, string> }>(makeObjectApi(kc), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${name}-admin-kubeconfig`, namespace: ns },
      });
      return s?.data?.value ? loadKubeConfig({ kubeconfigYaml: Buffer.from(s.data.value, 'base64').toString('utf8') }) : undefined;
    };
    return { cp, kc, runner, operator, apiserverSelector, adminKubeConfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * code-server with the packaged extension in `dir/workspace`, connected to the business control plane's meta cluster,
 * its own reconcilers off: the cluster operator runs in the test process, and the editor's would be a second one.
 */
export async function startEditorOn(biz: BusinessControlPlane, dir: string, log: (line: string) => void): Promise<EditorSession> {
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(workspace);
  return startEditorSession({
    dir,
    workspace,
    kubeconfigPath: biz.cp.kubeconfigPath,
    settings: { 'kokpit.reconcilers.autoStart': false },
    log,
  });
}
