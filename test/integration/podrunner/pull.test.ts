// An image whose binary is not built yet is "pulled" by building it: the container waits in
// ContainerCreating with the build's own words, then runs once the binary is there; a build that fails is
// ErrImagePull with the reason. Real control plane, real etcd process and kokpit's real on-demand provider;
// only the `go build` is a stand-in (a copy of the cached etcd, released by the test) so the test controls
// when it finishes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import type { KubeClients } from '../../../src/kube';
import { binaryPath } from '../../../src/binaries/build';
import { localBinaryProvider } from '../../../src/binaries/provider';
import { ETCD_VERSION } from '../../../src/binaries/catalog';
import { resolveBinaries, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { etcdContainer, isReady, logLine, clients, tempStateDir, waitPod } from './support';

const NS = 'default';
const NODE = 'pull-node';

describe('podrunner: pulling an image means building its binary', function () {
  let cp: ControlPlane;
  let runner: PodRunner;
  let kube: KubeClients;
  let stateDir: string;
  let realEtcd: string;
  const builds: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const savedBinDir = process.env.KOKPIT_BIN_DIR;

  before(async function () {
    cp = await startControlPlane({ log: logLine });
    realEtcd = (await resolveBinaries([{ component: 'etcd', version: ETCD_VERSION }])).get('etcd')!;
    kube = clients(cp.kubeConfig());
    stateDir = tempStateDir();
    // An empty binary cache of its own: the runner's resolver and kokpit's real provider both look there.
    process.env.KOKPIT_BIN_DIR = path.join(stateDir, 'bin');
    const binaries = localBinaryProvider({
      ensure: async (o) => {
        const { component: c, version: v } = o!.requests![0];
        builds.push(`${c} ${v}`);
        if (c === 'kube-scheduler') throw new Error('go build exited 1');
        await gate;
        const where = binaryPath(c, v);
        fs.mkdirSync(path.dirname(where), { recursive: true });
        fs.copyFileSync(realEtcd, where);
        fs.chmodSync(where, 0o755);
        return [];
      },
    });
    runner = await startPodRunner({
      kubeConfig: cp.kubeConfig(),
      nodeName: NODE,
      stateDir,
      log: logLine,
      bindUnscheduledPods: true,
      binaries,
      restartBackoff: { initialMs: 200, maxMs: 1000 },
    });
  });

  after(async function () {
    release?.();
    if (savedBinDir === undefined) delete process.env.KOKPIT_BIN_DIR;
    else process.env.KOKPIT_BIN_DIR = savedBinDir;
    await runner?.stop();
    await cp?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('waits in ContainerCreating with the build named, then runs the container once the binary exists', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'etcd-pulled', namespace: NS },
      spec: { nodeName: NODE, containers: [etcdContainer('etcd-pulled')], volumes: [{ name: 'data', emptyDir: {} }] },
    });
    const waiting = await waitPod(kube, NS, 'etcd-pulled', 'ContainerCreating (pulling)', (p) => {
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ContainerCreating' && /building/.test(w.message ?? '') && w;
    });
    assert.match(
      waiting.message,
      /^pulling image registry\.k8s\.io\/etcd:3\.5\.35-0: building etcd v3\.5\.35 from Go modules on demand since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ( \(~\S+, from the last build.*\))?$/,
    );
    assert.deepEqual(builds, ['etcd v3.5.35'], 'one build, however often the pod was synced');
    release();
    const pod = await waitPod(kube, NS, 'etcd-pulled', 'Ready', (p) => isReady(p) && p);
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
    assert.deepEqual(builds, ['etcd v3.5.35']);
  });

  it("a build that fails is ErrImagePull with the build's reason", async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sched', namespace: NS },
      spec: {
        nodeName: NODE,
        containers: [{ name: 'kube-scheduler', image: 'registry.k8s.io/kube-scheduler:v1.33.13', command: ['kube-scheduler'] }],
      },
    });
    const waiting = await waitPod(kube, NS, 'sched', 'ErrImagePull', (p) => {
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImagePull' && w;
    });
    assert.equal(
      waiting.message,
      'image registry.k8s.io/kube-scheduler:v1.33.13: building kube-scheduler v1.33.13 failed: go build exited 1',
    );
  });
});
