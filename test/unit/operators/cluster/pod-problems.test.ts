// A control-plane pod that cannot start is described in its own words; what is only progress comes last.
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { describePodProblems, podProblems } from '../../../../src/operators/cluster/pod-problems';
import { notReadyReason } from '../../../../src/cli/commands/status';

const pod = (name: string, status: V1Pod['status']): V1Pod => ({ metadata: { name }, status });

describe('cluster operator: pod problems on the BusinessCluster', () => {
  it('ErrImagePull, CrashLoopBackOff (with the last exit), Unschedulable and a failing probe, errors before progress', () => {
    const problems = podProblems([
      pod('api-1', {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'kube-apiserver',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating', message: 'pulling image x: building kube-apiserver v1.33.13' } },
          },
        ],
      }),
      pod('kcm-1', {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'kube-controller-manager',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ErrImagePull', message: 'image x: no local build of kube-controller-manager v1.32.13' } },
          },
        ],
      }),
      pod('sched-1', {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'kube-scheduler',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
            lastState: { terminated: { exitCode: 1, message: 'flag provided but not defined: -bogus\n' } },
          },
        ],
      }),
      pod('sched-2', {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }],
      }),
      pod('api-2', {
        phase: 'Running',
        conditions: [{ type: 'ContainersReady', status: 'False', message: 'containers with unready status: [kube-apiserver]' }],
        containerStatuses: [{ name: 'kube-apiserver', image: 'x', imageID: '', ready: false, restartCount: 0, state: { running: {} } }],
      }),
      pod('ok', {
        phase: 'Running',
        conditions: [{ type: 'ContainersReady', status: 'True' }],
        containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
      }),
    ]);
    assert.deepEqual(
      problems.map((p) => `${p.pod} ${p.reason}`),
      ['kcm-1 ErrImagePull', 'sched-1 CrashLoopBackOff', 'sched-2 Unschedulable', 'api-2 Unhealthy', 'api-1 ContainerCreating'],
    );
    assert.equal(problems[1].message, 'back-off 40s (last exit 1: flag provided but not defined: -bogus)');
    assert.deepEqual(describePodProblems(problems), {
      reason: 'ErrImagePull',
      message: 'pod kcm-1 container kube-controller-manager: image x: no local build of kube-controller-manager v1.32.13 (+4 more)',
    });
    assert.equal(describePodProblems(podProblems([pod('ok', { phase: 'Running' })])), undefined);
  });

  it('kokpit status names the first condition that is not True, with reason and message', () => {
    assert.equal(
      notReadyReason([
        { type: 'CatalogValid', status: 'True' },
        { type: 'ControlPlaneReady', status: 'False', reason: 'ErrImagePull', message: 'pod kcm-1 …' },
        { type: 'APIServerAvailable', status: 'True' },
        { type: 'Ready', status: 'False' },
      ]),
      'ControlPlaneReady False ErrImagePull: pod kcm-1 …',
    );
    assert.equal(notReadyReason([{ type: 'Ready', status: 'True' }]), undefined);
    assert.match(notReadyReason([])!, /no status yet/);
  });
});
