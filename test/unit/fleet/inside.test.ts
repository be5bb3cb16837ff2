import assert from 'node:assert/strict';
import type { BusinessCluster } from '../../../src/api';
import {
  controlPlanePodDescription,
  controlPlanePodSelectors,
  itemView,
  ListState,
  listErrorMessage,
  listPath,
  logDocumentPath,
  logHeader,
  logOptions,
  noLogReason,
  podContainers,
  podStatus,
  trimLog,
  type InsideObject,
} from '../../../src/fleet/inside';

type ContainerState = NonNullable<NonNullable<InsideObject['status']>['containerStatuses']>[number]['state'];

const pod = (name: string, status: InsideObject['status'] = {}, spec: InsideObject['spec'] = {}): InsideObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'app' },
  spec: { containers: [{ name: 'main' }], ...spec },
  status,
});
const running = (state: ContainerState, ready: boolean, restartCount = 0) => ({
  phase: 'Running',
  containerStatuses: [{ name: 'main', ready, restartCount, state }],
});

describe('inside a business cluster: pod status', () => {
  it('says what kubectl says: Running, Pending, ContainerCreating, CrashLoopBackOff, Completed, Terminating, Error', () => {
    const cases: Array<[InsideObject, string, string]> = [
      [pod('a', running({ running: {} }, true), { nodeName: 'n1' }), 'Running', 'ok'],
      [pod('b', running({ running: {} }, false), { nodeName: 'n1' }), 'Running', 'warning'],
      [pod('c', { phase: 'Pending' }), 'Pending', 'progress'],
      [pod('d', { phase: 'Pending' }, { nodeName: 'n1' }), 'ContainerCreating', 'progress'],
      [pod('e', running({ waiting: { reason: 'CrashLoopBackOff' } }, false, 7)), 'CrashLoopBackOff', 'error'],
      [pod('f', running({ waiting: { reason: 'ImagePullBackOff' } }, false)), 'ImagePullBackOff', 'error'],
      [pod('g', running({ waiting: { reason: 'ContainerCreating' } }, false)), 'ContainerCreating', 'progress'],
      [pod('h', { phase: 'Succeeded' }), 'Completed', 'ok'],
      [pod('i', { phase: 'Failed', reason: 'Evicted' }), 'Evicted', 'error'],
      [pod('j', { phase: 'Failed', containerStatuses: [{ state: { terminated: { reason: 'Error', exitCode: 1 } } }] }), 'Error', 'error'],
    ];
    for (const [p, phrase, status] of cases) {
      const s = podStatus(p);
      assert.deepEqual([s.phrase, s.status], [phrase, status], p.metadata!.name);
    }
    const terminating = pod('k', running({ running: {} }, true));
    terminating.metadata!.deletionTimestamp = new Date();
    assert.equal(podStatus(terminating).phrase, 'Terminating');
  });

  it("a pod's row: status, ready containers, restarts; menus match on kokpit.inside.pod", () => {
    const v = itemView('pods', pod('web-1', running({ waiting: { reason: 'CrashLoopBackOff' } }, false, 7), { nodeName: 'n1' }));
    assert.equal(v.label, 'web-1');
    assert.equal(v.description, 'CrashLoopBackOff · 0/1 · 7 restarts');
    assert.equal(v.status, 'error');
    assert.equal(v.contextValue, 'kokpit.inside.pod');
    assert.match(v.tooltip ?? '', /node n1/);
  });

  it('rows of the other kinds: nodes by Ready, deployments by ready replicas, services by type and ports, warnings', () => {
    const node = { kind: 'Node', metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    assert.deepEqual([itemView('nodes', node).description, itemView('nodes', node).status], ['NotReady', 'error']);
    const dep = { kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 }, status: { readyReplicas: 1 } };
    assert.deepEqual([itemView('deployments', dep).description, itemView('deployments', dep).status], ['1/3 ready', 'progress']);
    const svc = { kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', clusterIP: '10.0.0.9', ports: [{ port: 80 }] } };
    assert.equal(itemView('services', svc).description, 'NodePort · 10.0.0.9 · 80/TCP');
    const ev = { kind: 'Event', metadata: { name: 'e1' }, reason: 'BackOff', type: 'Warning', message: 'restarting', count: 4 };
    const evView = itemView('events', { ...ev, involvedObject: { kind: 'Pod', name: 'web-1' } });
    assert.deepEqual([evView.label, evView.description, evView.status], ['BackOff Pod/web-1', 'restarting ×4', 'warning']);
  });
});

describe('inside a business cluster: lists', () => {
  it('paths of the lists, namespaced ones only with a namespace', () => {
    assert.equal(listPath({ kind: 'nodes' }), '/api/v1/nodes');
    assert.equal(listPath({ kind: 'deployments', namespace: 'app' }), '/apis/apps/v1/namespaces/app/deployments');
    assert.equal(listPath({ kind: 'events', namespace: 'kube-system' }), '/api/v1/namespaces/kube-system/events');
    assert.throws(() => listPath({ kind: 'pods' }), /per namespace/);
  });

  it('pages merge by name and keep the continue token; watch events add, change and remove; events sort newest first', () => {
    const s = new ListState();
    s.page([pod('b'), pod('a')], 'token-1');
    assert.equal(s.continueToken, 'token-1');
    s.page([pod('c')], '');
    assert.equal(s.continueToken, undefined, 'the last page has no token: no "Load more…"');
    assert.equal(s.apply('ADDED', pod('d')), true);
    assert.equal(s.apply('MODIFIED', pod('a', { phase: 'Failed' })), true);
    assert.equal(s.apply('DELETED', pod('b')), true);
    assert.equal(s.apply('BOOKMARK', pod('zz')), false, 'a bookmark is not an object');
    assert.deepEqual(
      s.sorted('pods').map((o) => o.metadata?.name),
      ['a', 'c', 'd'],
    );
    assert.equal(s.get('a')?.status?.phase, 'Failed');
    const events = new ListState();
    events.page(
      [
        { kind: 'Event', metadata: { name: 'old' }, lastTimestamp: '2026-01-01T00:00:00Z' },
        { kind: 'Event', metadata: { name: 'new' }, lastTimestamp: new Date('2026-01-02T00:00:00Z') },
      ],
      undefined,
    );
    assert.deepEqual(
      events.sorted('events').map((o) => o.metadata?.name),
      ['new', 'old'],
    );
  });

  it('a refused list: 403 right after creation reads "not yet authorized", and a failure clears the list', () => {
    assert.match(listErrorMessage(403, 'forbidden'), /^not yet authorized .*refresh to retry/);
    assert.equal(listErrorMessage(0, 'connect ECONNREFUSED'), 'connect ECONNREFUSED');
    const s = new ListState();
    s.page([pod('a')], 't');
    s.failed('nope');
    assert.deepEqual([s.size, s.continueToken, s.error], [0, undefined, 'nope']);
  });
});

describe('inside a business cluster: logs and the control plane', () => {
  const bc = (etcd: BusinessCluster['spec']['etcd']): BusinessCluster =>
    ({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'BusinessCluster',
      metadata: { name: 'prod', namespace: 'fleet' },
      spec: { version: 'v1.32.13', etcd },
    }) as BusinessCluster;

  it("selects the cluster's apiserver/controller-manager/scheduler pods and its etcd members (managed or shared)", () => {
    assert.deepEqual(controlPlanePodSelectors(bc({ managed: {} } as never)), {
      namespace: 'fleet',
      labelSelectors: [
        'kokpit.dev/cluster=prod,kokpit.dev/component in (apiserver,controller-manager,scheduler)',
        'kokpit.dev/etcd-cluster=prod-etcd',
      ],
    });
    assert.equal(controlPlanePodSelectors(bc({ clusterRef: { name: 'shared' } })).labelSelectors[1], 'kokpit.dev/etcd-cluster=shared');
    const apiserver = pod('prod-apiserver-x', { phase: 'Pending' });
    apiserver.metadata!.labels = { 'kokpit.dev/component': 'apiserver' };
    assert.equal(controlPlanePodDescription(apiserver), 'apiserver · Pending');
    const member = pod('shared-0', { phase: 'Succeeded' });
    member.metadata!.labels = { 'kokpit.dev/etcd-cluster': 'shared' };
    assert.equal(controlPlanePodDescription(member), 'etcd shared · Completed');
  });

  it('follows the live container, reads the previous one once; init containers can be picked; unscheduled pods have no log', () => {
    const t = { namespace: 'app', pod: 'web-1', container: 'main', previous: false };
    assert.deepEqual(logOptions(t), { follow: true, previous: false, tailLines: 1000 });
    assert.deepEqual(logOptions({ ...t, previous: true }), { follow: false, previous: true, tailLines: 1000 });
    assert.equal(logDocumentPath('prod', { ...t, previous: true }), '/prod/app/web-1/main.previous.log');
    assert.equal(logHeader('prod', t), '# kubectl logs -f --tail=1000 -n app web-1 -c main   (prod)\n');
    assert.deepEqual(podContainers(pod('p', {}, { initContainers: [{ name: 'init' }], containers: [{ name: 'a' }, { name: 'b' }] })), [
      'init',
      'a',
      'b',
    ]);
    assert.match(noLogReason(pod('p')) ?? '', /not scheduled to a node yet/);
    assert.equal(noLogReason(pod('p', {}, { nodeName: 'n1' })), undefined);
  });

  it('a long log drops whole lines from its head', () => {
    assert.equal(trimLog('short', 10), 'short');
    assert.equal(trimLog('line-1\nline-2\nline-3\n', 10), '# … earlier lines dropped\nline-3\n');
  });
});
