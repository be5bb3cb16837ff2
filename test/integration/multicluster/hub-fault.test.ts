// installHub where OCM's binaries were never built (what a cold `.ci/run` met: `npm run setup:bins` builds them only on
// demand), on a real meta control plane with the pod runner: the runner sees every OCM binary missing, so the hub's
// controller pods get ErrImagePull at once, and installHub must stop within seconds naming the pod, the node, the image,
// the runner's words and the setup:bins command — not wait out its timeout and name only the Deployments.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { OCM_COMPONENTS } from '../../../src/binaries/catalog';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { installHub, readOcmManifests } from '../../../src/operators/multicluster/hub';
import { OCM_BUILD_COMMAND } from '../../../src/operators/multicluster/hub-faults';
import { cachedBinaryResolver, startPodRunner, type PodRunner } from '../../../src/podrunner';
import { ROOT } from './support';

const TIMEOUT_MS = 45_000;

describe('multicluster: installHub when the hub pods cannot get their images', function () {
  let cp: ControlPlane | undefined;
  let runner: PodRunner | undefined;
  let kc: KubeConfig;
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-hub-fault-'));

  before(async function () {
    this.timeout(120_000);
    cp = await startControlPlane({ controllers: true });
    kc = cp.kubeConfig();
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir,
      bindUnscheduledPods: true,
      // As on a machine where OCM was never built (whatever this one's cache holds); no `binaries`: nothing is built.
      binaryResolver: (c, v) => ((OCM_COMPONENTS as readonly string[]).includes(c) ? undefined : cachedBinaryResolver(c, v)),
    });
  });

  after(async function () {
    this.timeout(60_000);
    await runner?.stop();
    await cp?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('stops within seconds with the pod, node, image, the pod runner’s words and the setup:bins fix', async function () {
    this.timeout(TIMEOUT_MS + 30_000);
    const t0 = Date.now();
    const err = await installHub(kc, { manifests: readOcmManifests(ROOT), timeoutMs: TIMEOUT_MS }).then(
      () => assert.fail('installHub succeeded without OCM binaries'),
      (e: Error) => e,
    );
    const s = (Date.now() - t0) / 1000;
    process.stderr.write(`  installHub failed after ${s.toFixed(1)} s: ${err.message}\n`);
    assert.doesNotMatch(err.message, /not ready in namespace/, 'the timeout, not the pod fault');
    assert.match(
      err.message,
      new RegExp(
        '^OCM hub cannot start: pod open-cluster-management-hub/cluster-manager-(registration|placement|work)-controller-\\S+ ' +
          'on node meta-node-0 cannot get image quay\\.io/open-cluster-management/(registration|placement|work):v1\\.0\\.0 ' +
          'for container cluster-manager-\\S+: ErrImagePull: image \\S+: no local build of (registration|placement|work) v1\\.0\\.0',
      ),
    );
    assert.ok(err.message.includes(`Fix: in the sandbox (pod runner): build OCM's binaries with \`${OCM_BUILD_COMMAND}\``), err.message);
    assert.ok(s < 30, `took ${s.toFixed(1)} s`);
  });
});
