// What installHub says when the OCM hub's controllers cannot come up (src/operators/multicluster/hub-faults.ts): from
// pod fixtures as the sandbox's pod runner reports them (ErrImagePull with its own words when OCM's binaries are not
// built) and as a kubelet does (ImagePullBackOff with the pull event, CrashLoopBackOff), which pod stops the wait at
// once, which only after the grace (a pod of an earlier install), which never (on its way), and the sentence it gives.
import * as assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { podFault } from '../../../../src/kit';
import {
  CRASH_RESTARTS,
  decisiveHubFault,
  describeHubFault,
  describeHubWait,
  loopbackWebhookPod,
  OCM_BUILD_COMMAND,
  podsOf,
  STALE_FAULT_GRACE_MS,
} from '../../../../src/operators/multicluster/hub-faults';
import { HUB_NAMESPACE, OCM_IMAGES } from '../../../../src/operators/multicluster/names';

const NAME = 'cluster-manager-registration-controller';
const SINCE = Date.parse('2026-12-06T15:00:00.400Z');

function pod(status: Partial<V1ContainerStatus>, o: { name?: string; app?: string; created?: string; node?: string } = {}): V1Pod {
  const app = o.app ?? NAME;
  return {
    metadata: {
      name: o.name ?? `${app}-7c9f-x1`,
      namespace: HUB_NAMESPACE,
      labels: { app },
      creationTimestamp: new Date(o.created ?? '2026-12-06T15:00:01Z'),
    },
    spec: { nodeName: o.node ?? 'meta-node-0', containers: [{ name: app, image: OCM_IMAGES.registration }] },
    status: {
      phase: 'Pending',
      containerStatuses: [{ name: app, image: OCM_IMAGES.registration, imageID: '', ready: false, restartCount: 0, ...status }],
    },
  };
}
const waiting = (reason: string, message?: string) => ({ state: { waiting: { reason, message } } });
const deployment = (name: string): V1Deployment => ({
  metadata: { name, namespace: HUB_NAMESPACE },
  spec: { selector: { matchLabels: { app: name } }, template: {} },
});
// The pod runner's words for an image whose binary is not built (podrunner/images.ts, no `binaries` provider).
const NOT_BUILT =
  `image ${OCM_IMAGES.registration}: no local build of registration v1.0.0 ` +
  '(run `npm run setup:bins -- --only registration --versions v1.0.0`)';

describe('multicluster: installHub stops at a hub pod that cannot run', () => {
  it('a pod on its way is no fault: unscheduled, ContainerCreating (the pod runner building the binary), running', () => {
    const t = { since: SINCE, now: SINCE + 60_000 };
    assert.equal(decisiveHubFault([{ metadata: { name: 'p', namespace: HUB_NAMESPACE }, status: { phase: 'Pending' } }], t), undefined);
    assert.equal(decisiveHubFault([pod(waiting('ContainerCreating', `pulling image ${OCM_IMAGES.registration}: building`))], t), undefined);
    assert.equal(decisiveHubFault([pod({ state: { running: { startedAt: new Date() } } })], t), undefined);
  });

  it('a pod of this install that cannot get its image stops the wait at once; one of an earlier install only after the grace', () => {
    const fresh = pod(waiting('ErrImagePull', NOT_BUILT));
    assert.equal(decisiveHubFault([fresh], { since: SINCE, now: SINCE + 1500 })?.pod, fresh);
    // Made in the second the install began (creationTimestamp has whole seconds): this install's.
    const sameSecond = pod(waiting('ErrImagePull', NOT_BUILT), { created: '2026-12-06T15:00:00Z' });
    assert.equal(decisiveHubFault([sameSecond], { since: SINCE, now: SINCE + 1500 })?.pod, sameSecond);
    const old = pod(waiting('ImagePullBackOff', 'Back-off pulling image'), { created: '2026-12-06T14:00:00Z' });
    assert.equal(decisiveHubFault([old], { since: SINCE, now: SINCE + STALE_FAULT_GRACE_MS - 1 }), undefined);
    assert.equal(decisiveHubFault([old], { since: SINCE, now: SINCE + STALE_FAULT_GRACE_MS })?.pod, old);
    assert.equal(decisiveHubFault([old, fresh], { since: SINCE, now: SINCE + 1500 })?.pod, fresh);
  });

  it("the sandbox's pod runner without OCM's binaries: the image, the node, its words and the setup:bins command", () => {
    const f = decisiveHubFault([pod(waiting('ErrImagePull', NOT_BUILT))], { since: SINCE, now: SINCE + 1000 })!.fault;
    assert.equal(OCM_BUILD_COMMAND, 'npm run setup:bins -- --only registration,work,placement,registration-operator,addon');
    assert.equal(
      describeHubFault(f, { nodeRuntime: 'kokpit-process://1' }),
      `OCM hub cannot start: pod ${HUB_NAMESPACE}/${NAME}-7c9f-x1 on node meta-node-0 cannot get image ${OCM_IMAGES.registration} ` +
        `for container ${NAME}: ErrImagePull: ${NOT_BUILT}. Fix: in the sandbox (pod runner): build OCM's binaries with ` +
        `\`${OCM_BUILD_COMMAND}\` in the kokpit checkout (\`kokpit up --with-ocm\` builds them up front), then install the hub again`,
    );
  });

  it('the pod runner with an image at a version it cannot build: says the version it runs', () => {
    const image = 'quay.io/open-cluster-management/registration:v0.0.0';
    const f = podFault(pod({ image, ...waiting('ErrImagePull', `image ${image}: no local build of registration v0.0.0`) }))!;
    assert.match(
      describeHubFault(f, { nodeRuntime: 'kokpit-process://1' }),
      /Fix: the sandbox's pod runner runs OCM only at v1\.0\.0 \(hack\/bins\/ocm builds that tag\), not v0\.0\.0/,
    );
  });

  it("a kubelet's ImagePullBackOff on a kind node: its pull error and kind load; an unknown runtime gets both fixes", () => {
    const pullEvent = `Failed to pull image "${OCM_IMAGES.registration}": dial tcp: lookup quay.io: no such host`;
    const p = pod(waiting('ImagePullBackOff', `Back-off pulling image "${OCM_IMAGES.registration}"`), { node: 'kokpit-control-plane' });
    const msg = describeHubFault(podFault(p, { pullEvent })!, { nodeRuntime: 'containerd://1.7.18', pullEvent });
    assert.ok(msg.includes(`on node kokpit-control-plane cannot get image ${OCM_IMAGES.registration}`), msg);
    assert.ok(msg.includes(`ImagePullBackOff: Back-off pulling image "${OCM_IMAGES.registration}"; ${pullEvent}. Fix: `), msg);
    assert.ok(msg.includes(`\`kind load docker-image ${OCM_IMAGES.registration} --name kokpit\``), msg);
    assert.ok(!msg.includes('setup:bins'), msg);
    const unknown = describeHubFault(podFault(p)!, {});
    assert.ok(unknown.includes(OCM_BUILD_COMMAND) && unknown.includes('kind load docker-image'), unknown);
  });

  it('CrashLoopBackOff from 3 restarts on: restarts, the last exit code and reason, its last words and the logs command', () => {
    const crashed = pod({
      restartCount: 4,
      ...waiting('CrashLoopBackOff', 'back-off 40s restarting failed container'),
      lastState: { terminated: { exitCode: 255, reason: 'Error' } },
    });
    const f = decisiveHubFault([crashed], { since: SINCE, now: SINCE + 20_000 })!.fault;
    assert.equal(f.kind, 'crash');
    // One that exited once or twice (a controller whose CRDs were settling) is waited for.
    crashed.status!.containerStatuses![0].restartCount = CRASH_RESTARTS - 1;
    assert.equal(decisiveHubFault([crashed], { since: SINCE, now: SINCE + 20_000 }), undefined);
    crashed.status!.containerStatuses![0].restartCount = 4;
    assert.equal(
      describeHubFault(podFault(crashed, { logTail: 'F1206 unable to load kubeconfig\n' })!, { nodeRuntime: 'kokpit-process://1' }),
      `OCM hub cannot start: pod ${HUB_NAMESPACE}/${NAME}-7c9f-x1 on node meta-node-0: container ${NAME} ` +
        `(image ${OCM_IMAGES.registration}) is crash-looping (CrashLoopBackOff, 4 restarts), last exit code 255 (Error); ` +
        'its last words:\nF1206 unable to load kubeconfig\n' +
        `Fix what it says (\`kubectl -n ${HUB_NAMESPACE} logs ${NAME}-7c9f-x1 -c ${NAME} --previous\`), then install the hub again`,
    );
  });

  it("the timeout names each Deployment still waited for with its pods' states; pods go to their Deployment by selector", () => {
    const work = 'cluster-manager-work-controller';
    const pods = [
      pod(waiting('ContainerCreating', 'pulling image: building'), { app: NAME }),
      pod({ state: { running: { startedAt: new Date() } } }, { app: work, name: 'w-1' }),
      pod(waiting('ErrImagePull', 'x'), { app: 'cluster-manager-placement-controller' }),
    ];
    assert.deepEqual(
      podsOf(deployment(work), pods).map((p) => p.metadata!.name),
      ['w-1'],
    );
    assert.equal(
      describeHubWait([deployment(NAME), deployment(work), deployment('other')], pods),
      `${NAME} (pod ${NAME}-7c9f-x1 ContainerCreating: pulling image: building), ${work} (pod w-1 Pending), other (no pod yet)`,
    );
  });
});

describe('multicluster: installHub with webhooks where Services get no endpoints', () => {
  const WEBHOOK = 'cluster-manager-work-webhook';
  const running = (ip: string) => {
    const p = pod({ state: { running: { startedAt: new Date() } } }, { app: WEBHOOK });
    p.status!.podIP = ip;
    return p;
  };
  it("a webhook server's pod with a loopback address (the sandbox's loopback network) stops the wait, saying why", () => {
    const msg = loopbackWebhookPod([deployment(WEBHOOK)], [running('127.0.3.7')]);
    assert.match(
      msg ?? '',
      /^OCM hub webhooks cannot be reached: pod open-cluster-management-hub\/cluster-manager-work-webhook-7c9f-x1 of /,
    );
    assert.match(msg!, /loopback address 127\.0\.3\.7, and Kubernetes gives loopback addresses no Service endpoints/);
    assert.match(msg!, /Fix: install the hub without webhooks/);
  });
  it('an address Services accept, no address yet, or a controller (not a webhook server) on loopback: no fault', () => {
    assert.equal(loopbackWebhookPod([deployment(WEBHOOK)], [running('198.18.0.5')]), undefined);
    assert.equal(loopbackWebhookPod([deployment(WEBHOOK)], [pod(waiting('ContainerCreating'), { app: WEBHOOK })]), undefined);
    const controller = pod({ state: { running: { startedAt: new Date() } } });
    controller.status!.podIP = '127.0.3.8';
    assert.equal(loopbackWebhookPod([deployment(WEBHOOK)], [controller]), undefined);
  });
});
