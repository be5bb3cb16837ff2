import assert from 'node:assert/strict';
import { computePodStatus, type ContainerView, type PodView } from '../../../src/podrunner/status';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function c(name: string, extra: Partial<ContainerView> = {}): ContainerView {
  return {
    name,
    image: 'registry.k8s.io/etcd:3.5.35-0',
    state: { running: { startedAt: T0 } },
    restartCount: 0,
    ready: true,
    started: true,
    willRestart: true,
    ...extra,
  };
}

function pod(extra: Partial<PodView> = {}): PodView {
  return { restartPolicy: 'Always', podIP: '127.0.0.5', hostIP: '127.0.0.1', startTime: T0, init: [], containers: [c('a')], ...extra };
}

const cond = (s: ReturnType<typeof computePodStatus>, type: string) => s.conditions.find((x) => x.type === type)!;

describe('podrunner computePodStatus', () => {
  it('is Running and Ready when every container runs and is ready', () => {
    const s = computePodStatus(pod({ containers: [c('a'), c('b')] }), undefined, T0);
    assert.equal(s.phase, 'Running');
    assert.equal(cond(s, 'Ready').status, 'True');
    assert.equal(cond(s, 'ContainersReady').status, 'True');
    assert.equal(s.podIP, '127.0.0.5');
    assert.deepEqual(s.podIPs, [{ ip: '127.0.0.5' }]);
  });

  it('names the unready containers', () => {
    const s = computePodStatus(pod({ containers: [c('a'), c('b', { ready: false })] }), undefined, T0);
    assert.equal(s.phase, 'Running');
    assert.equal(cond(s, 'Ready').status, 'False');
    assert.equal(cond(s, 'Ready').message, 'containers with unready status: [b]');
  });

  it('is Pending while a container never started (unknown image), Running while one crash-loops', () => {
    const waiting = c('a', { state: { waiting: { reason: 'ErrImagePull', message: 'x' } }, ready: false });
    assert.equal(computePodStatus(pod({ containers: [waiting] }), undefined, T0).phase, 'Pending');
    const looping = c('a', {
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 3, reason: 'Error', finishedAt: T0 } },
      restartCount: 2,
      ready: false,
    });
    const s = computePodStatus(pod({ containers: [looping] }), undefined, T0);
    assert.equal(s.phase, 'Running');
    assert.equal(s.containerStatuses[0].restartCount, 2);
    assert.equal(s.containerStatuses[0].lastState.terminated?.exitCode, 3);
  });

  it('is Succeeded or Failed once no container will run again', () => {
    const done = (code: number) =>
      c('a', {
        state: { terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', finishedAt: T0 } },
        ready: false,
        willRestart: false,
      });
    assert.equal(computePodStatus(pod({ restartPolicy: 'Never', containers: [done(0)] }), undefined, T0).phase, 'Succeeded');
    const failed = computePodStatus(pod({ restartPolicy: 'Never', containers: [done(0), { ...done(1), name: 'b' }] }), undefined, T0);
    assert.equal(failed.phase, 'Failed');
    assert.equal(cond(failed, 'Ready').reason, 'PodCompleted');
  });

  it('is Pending until init containers succeed, Failed when one fails for good', () => {
    const init = c('init', { state: { running: { startedAt: T0 } }, ready: false });
    const s = computePodStatus(
      pod({ init: [init], containers: [c('a', { state: { waiting: { reason: 'PodInitializing' } }, ready: false })] }),
      undefined,
      T0,
    );
    assert.equal(s.phase, 'Pending');
    assert.equal(cond(s, 'Initialized').status, 'False');
    assert.equal(cond(s, 'Initialized').message, 'containers with incomplete status: [init]');
    const failedInit = c('init', {
      state: { terminated: { exitCode: 1, reason: 'Error', finishedAt: T0 } },
      willRestart: false,
      ready: false,
    });
    assert.equal(computePodStatus(pod({ restartPolicy: 'Never', init: [failedInit] }), undefined, T0).phase, 'Failed');
  });

  it('is Pending with the reason while volumes cannot be set up', () => {
    const s = computePodStatus(
      pod({
        setupError: 'secret "tls" not found',
        containers: [c('a', { state: { waiting: { reason: 'ContainerCreating' } }, ready: false })],
      }),
      undefined,
      T0,
    );
    assert.equal(s.phase, 'Pending');
    assert.equal(s.message, 'secret "tls" not found');
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const first = computePodStatus(pod(), undefined, T0);
    const same = computePodStatus(pod(), first.conditions, T1);
    assert.equal(cond(same, 'Ready').lastTransitionTime, T0);
    const flipped = computePodStatus(pod({ containers: [c('a', { ready: false })] }), first.conditions, T1);
    assert.equal(cond(flipped, 'Ready').lastTransitionTime, T1);
  });
});
