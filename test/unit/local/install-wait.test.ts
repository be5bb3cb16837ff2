// What `kokpit install` says when a manager pod cannot come up (src/local/install-wait.ts): the container states a
// kubelet reports and the ones the sandbox's process pod runner reports (podrunner/pod.ts: ErrImagePull with its own
// words) mapped to one sentence naming the image, the node, the runtime's words and the fix — nothing while a pod is
// merely on its way.
import * as assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { managerImageArchive, managerPodFault } from '../../../src/local/install-wait';

function pod(status: Partial<V1ContainerStatus>, nodeName: string | undefined = 'kokpit-control-plane'): V1Pod {
  return {
    metadata: { name: 'kokpit-manager-5d8f-x1', namespace: 'kokpit-system' },
    spec: { nodeName, containers: [{ name: 'manager', image: status.image }] },
    status: {
      phase: 'Pending',
      containerStatuses: [
        { name: 'manager', image: 'kokpit.dev/kokpit-manager:0.1.0', imageID: '', ready: false, restartCount: 0, ...status },
      ],
    },
  };
}
const waiting = (reason: string, message?: string) => ({ state: { waiting: { reason, message } } });

describe('kokpit install: a manager pod state → the fault it reports', () => {
  it('a pod on its way is no fault: unscheduled, ContainerCreating, running', () => {
    assert.equal(
      managerPodFault({ metadata: { name: 'p', namespace: 'kokpit-system' }, status: { phase: 'Pending' } }, { version: '0.1.0' }),
      undefined,
    );
    assert.equal(managerPodFault(pod(waiting('ContainerCreating', 'pulling image')), { version: '0.1.0' }), undefined);
    assert.equal(managerPodFault(pod({ state: { running: { startedAt: new Date() } } }), { version: '0.1.0' }), undefined);
  });

  it("the sandbox's pod runner (ErrImagePull, its own words): run install without --image", () => {
    const image = 'kokpit.dev/kokpit-manager:0.0.0-missing';
    const words = `image ${image}: only this kokpit's own version runs as a process here (0.1.0), not 0.0.0-missing`;
    assert.equal(
      managerPodFault(pod({ image, ...waiting('ErrImagePull', words) }, 'kokpit-meta-node'), {
        version: '0.1.0',
        nodeRuntime: 'kokpit-process://1',
      }),
      `pod kokpit-system/kokpit-manager-5d8f-x1 on node kokpit-meta-node cannot get image ${image} for container manager: ` +
        `ErrImagePull: ${words}. ` +
        "Fix: the sandbox's pod runner runs the manager image only at this kokpit's version: run `kokpit install` without --image " +
        '(kokpit.dev/kokpit-manager:0.1.0)',
    );
  });

  it("a kubelet's ImagePullBackOff of the manager image on a kind node: its pull error, manager-image.sh and kind load", () => {
    const image = 'kokpit.dev/kokpit-manager:0.1.0';
    const pullEvent = `Failed to pull image "${image}": failed to resolve reference "${image}": not found`;
    const msg = managerPodFault(pod({ image, ...waiting('ImagePullBackOff', `Back-off pulling image "${image}"`) }), {
      version: '0.1.0',
      nodeRuntime: 'containerd://1.7.18',
      pullEvent,
    })!;
    const { archive } = managerImageArchive('0.1.0');
    assert.match(
      msg,
      /^pod kokpit-system\/kokpit-manager-5d8f-x1 on node kokpit-control-plane cannot get image kokpit\.dev\/kokpit-manager:0\.1\.0/,
    );
    assert.ok(msg.includes(`ImagePullBackOff: Back-off pulling image "${image}"; ${pullEvent}. Fix: `), msg);
    assert.ok(msg.includes('`sudo bash hack/offline-images/manager-image.sh`'), msg);
    assert.ok(msg.includes(`\`kind load image-archive ${archive} --name kokpit\``), msg);
    assert.match(archive, /images\/saved\/kokpit\.dev_kokpit-manager_0\.1\.0\.tar$/);
  });

  it('another image: make it pullable from the node; an invalid reference: a valid --image', () => {
    const other = managerPodFault(
      pod({ image: 'registry.example/kokpit:dev', ...waiting('ErrImagePull', 'rpc error: code = Unknown') }, 'node-a'),
      {
        version: '0.1.0',
      },
    )!;
    assert.match(other, /ErrImagePull: rpc error: code = Unknown\. Fix: make registry\.example\/kokpit:dev pullable from node node-a/);
    const invalid = managerPodFault(
      pod({ image: 'Bad//Image', ...waiting('InvalidImageName', 'couldn\'t parse image reference "Bad//Image"') }),
      {
        version: '0.1.0',
      },
    )!;
    assert.match(
      invalid,
      /InvalidImageName: couldn't parse image reference "Bad\/\/Image"\. Fix: pass --image with a valid image reference/,
    );
  });

  it('CrashLoopBackOff: restarts, the last exit and its last words (termination message, else the log tail)', () => {
    const crashed = pod({
      restartCount: 3,
      ...waiting('CrashLoopBackOff', 'back-off 40s restarting failed container'),
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    const msg = managerPodFault(crashed, { version: '0.1.0', logTail: 'kokpit operator: cannot reach the API server\n' })!;
    assert.equal(
      msg,
      'pod kokpit-system/kokpit-manager-5d8f-x1 on node kokpit-control-plane: container manager (image kokpit.dev/kokpit-manager:0.1.0) ' +
        'is crash-looping (CrashLoopBackOff, 3 restarts), last exit code 1 (Error); its last words:\n' +
        'kokpit operator: cannot reach the API server\n' +
        'Fix what it says (`kubectl -n kokpit-system logs kokpit-manager-5d8f-x1 -c manager --previous`), then run `kokpit install` again',
    );
    crashed.status!.containerStatuses![0].lastState!.terminated!.message = 'panic: no lease';
    assert.match(managerPodFault(crashed, { version: '0.1.0', logTail: 'ignored' })!, /its last words:\npanic: no lease\n/);
  });
});
