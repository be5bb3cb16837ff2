// The plain decisions behind the editor's fleet actions: upgrade choices and guarded patches, where an etcd scale
// goes (a managed etcd is sized by its business cluster), backup and restore manifests, endpoint, events text,
// and the local-environment command lines.
import assert from 'node:assert/strict';
import {
  backupManifest,
  checkMachineCount,
  machineSetScalePatch,
  endpointOf,
  etcdClusterOf,
  etcdScaleChoices,
  etcdScaleTarget,
  formatEvents,
  restoreChoices,
  restoredClusterManifest,
  restoredName,
  scalePatch,
  upgradeChoices,
  upgradePatch,
} from '../../../src/actions/fleet-actions';
import { retryTooManyRequests, valueAt } from '../../../src/actions/fleet-requests';
import { KubeApiError } from '../../../src/kube';
import {
  downArguments,
  failureDetail,
  isEnvironmentKubeconfig,
  LineSplitter,
  progressMessage,
  supervisorPid,
  upArguments,
} from '../../../src/actions/local-environment';
import { environmentDir } from '../../../src/local/state';
import type { BusinessCluster, EtcdBackup, EtcdCluster, KubernetesVersion } from '../../../src/api';

const version = (v: string, state: KubernetesVersion['spec']['state'] = 'Supported') =>
  ({ spec: { version: v, state } }) as KubernetesVersion;
const bc = (spec: Partial<BusinessCluster['spec']>, status?: BusinessCluster['status'], name = 'prod'): BusinessCluster => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name, namespace: 'fleet' },
  spec: { version: 'v1.32.13', etcd: { managed: { replicas: 1 } }, ...spec } as BusinessCluster['spec'],
  status,
});
const etcd = (name: string, spec: Partial<EtcdCluster['spec']> = {}, owner?: string): EtcdCluster => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'EtcdCluster',
  metadata: {
    name,
    namespace: 'fleet',
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'kokpit.dev/v1alpha1', kind: 'BusinessCluster', name: owner, uid: 'u', controller: true }] }
      : {}),
  },
  spec: { replicas: 3, version: '3.5.35', ...spec } as EtcdCluster['spec'],
});

describe('actions: upgrade', () => {
  const catalog = [
    version('v1.31.9'),
    version('v1.32.13'),
    version('v1.32.14'),
    version('v1.33.13'),
    version('v1.34.1', 'Preview'),
    version('v1.34.0', 'Deprecated'),
    version('v1.35.2'),
  ];

  it('offers usable versions newer than the cluster, newest first, with how the operator gets there', () => {
    const choices = upgradeChoices(bc({}), catalog);
    assert.deepEqual(
      choices.map((c) => [c.version, c.state, c.note]),
      [
        ['v1.35.2', 'Supported', '3 minors, upgraded one minor at a time'],
        ['v1.34.1', 'Preview', '2 minors, upgraded one minor at a time'],
        ['v1.33.13', 'Supported', 'next minor'],
        ['v1.32.14', 'Supported', 'patch release'],
      ],
    );
  });

  it('counts an upgrade in flight: the newer of spec.version and status.version is the floor', () => {
    assert.deepEqual(
      upgradeChoices(bc({ version: 'v1.33.13' }, { version: 'v1.32.13' }), catalog).map((c) => c.version),
      ['v1.35.2', 'v1.34.1'],
    );
    assert.deepEqual(
      upgradeChoices(bc({}, { version: 'v1.33.13' }), catalog).map((c) => c.version),
      ['v1.35.2', 'v1.34.1'],
    );
    assert.deepEqual(upgradeChoices(bc({ version: 'v1.35.2' }), catalog), []);
  });

  it('patches spec.version guarded by its current value, and refuses a downgrade', () => {
    assert.deepEqual(upgradePatch(bc({}), 'v1.33.13'), [
      { op: 'test', path: '/spec/version', value: 'v1.32.13' },
      { op: 'replace', path: '/spec/version', value: 'v1.33.13' },
    ]);
    assert.throws(
      () => upgradePatch(bc({}), 'v1.31.9'),
      /v1\.31\.9 is not newer than fleet\/prod's spec\.version v1\.32\.13; downgrades are refused/,
    );
    assert.throws(() => upgradePatch(bc({}), '1.33'), /not a Kubernetes version/);
  });
});

describe('actions: etcd scale, backup, restore', () => {
  const world = (bcs: BusinessCluster[], etcds: EtcdCluster[]) => ({
    businessCluster: (ns: string, n: string) => bcs.find((b) => b.metadata.name === n && b.metadata.namespace === ns),
    etcdCluster: (ns: string, n: string) => etcds.find((e) => e.metadata.name === n && e.metadata.namespace === ns),
  });

  it('scales a standalone EtcdCluster through spec.replicas', () => {
    const t = etcdScaleTarget(etcd('shared'), world([], []));
    assert.deepEqual(t, {
      kind: 'EtcdCluster',
      namespace: 'fleet',
      name: 'shared',
      path: '/spec/replicas',
      current: 3,
      etcdCluster: 'shared',
    });
    assert.deepEqual(scalePatch(t, 5), [
      { op: 'test', path: '/spec/replicas', value: 3 },
      { op: 'replace', path: '/spec/replicas', value: 5 },
    ]);
    assert.throws(() => scalePatch(t, 3), /already has 3 etcd members/);
    assert.throws(() => scalePatch(t, 2), /1, 3 or 5 members, not 2/);
  });

  it('scales a managed etcd through its business cluster (the operator would undo a patch of the EtcdCluster)', () => {
    const prod = bc({ etcd: { managed: { replicas: 1 } } });
    const t = etcdScaleTarget(etcd('prod-etcd', {}, 'prod'), world([prod], []));
    assert.deepEqual(
      [t.kind, t.name, t.path, t.current, t.etcdCluster],
      ['BusinessCluster', 'prod', '/spec/etcd/managed/replicas', 1, 'prod-etcd'],
    );
    assert.deepEqual(etcdScaleTarget(prod, world([prod], [])), t);
    assert.throws(
      () => etcdScaleTarget(etcd('x-etcd', {}, 'gone'), world([], [])),
      /managed by BusinessCluster gone, which is not in the fleet/,
    );
  });

  it('a business cluster on a shared etcd scales that EtcdCluster', () => {
    const dev = bc({ etcd: { clusterRef: { name: 'shared' } } }, undefined, 'dev');
    assert.equal(etcdScaleTarget(dev, world([dev], [etcd('shared')])).name, 'shared');
    assert.throws(() => etcdScaleTarget(dev, world([dev], [])), /uses EtcdCluster shared, which is not in the fleet/);
  });

  it('marks the current size among 1, 3 and 5', () => {
    assert.deepEqual(
      etcdScaleChoices(3).map((c) => [c.label, c.current]),
      [
        ['1 member', false],
        ['3 members', true],
        ['5 members', false],
      ],
    );
    assert.match(etcdScaleChoices(3)[1].description, /tolerates one member failure · current/);
  });

  it('scales a MachineSet to a typed count, guarded by the count the user saw', () => {
    const ms = { metadata: { name: 'workers', namespace: 'fleet' }, spec: { replicas: 2 } } as never;
    assert.deepEqual(machineSetScalePatch(ms, 5), [
      { op: 'test', path: '/spec/replicas', value: 2 },
      { op: 'replace', path: '/spec/replicas', value: 5 },
    ]);
    assert.throws(() => machineSetScalePatch(ms, 2), /MachineSet fleet\/workers already has 2 machines/);
    assert.throws(() => machineSetScalePatch(ms, -1), /not -1/);
    assert.equal(checkMachineCount('0'), undefined);
    assert.match(checkMachineCount('three') ?? '', /whole number/);
    assert.match(checkMachineCount('101') ?? '', /at most 100/);
  });

  it('names a one-off backup after its cluster and the UTC time, within 63 characters', () => {
    const b = backupManifest('fleet', 'etcd-a', new Date('2026-11-23T14:15:03.456Z'));
    assert.equal(b.metadata.name, 'etcd-a-20261123-141503');
    assert.deepEqual(b.spec, { etcdClusterRef: { name: 'etcd-a' } });
    const long = backupManifest('fleet', 'e'.repeat(50), new Date('2026-11-23T14:15:03Z'));
    assert.ok(long.metadata.name!.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long.metadata.name!), long.metadata.name);
    assert.equal(etcdClusterOf(bc({})), 'prod-etcd');
    assert.equal(etcdClusterOf(bc({ etcd: { clusterRef: { name: 'shared' } } })), 'shared');
  });

  it('restores from Completed backups of the cluster, newest first, into a new cluster with the same shape', () => {
    const backup = (name: string, cluster: string, phase: string, time: string) =>
      ({
        metadata: { name, namespace: 'fleet' },
        spec: { etcdClusterRef: { name: cluster } },
        status: { phase, completionTime: time, size: 20480, etcdVersion: '3.5.35' },
      }) as EtcdBackup;
    const choices = restoreChoices('etcd-a', [
      backup('old', 'etcd-a', 'Completed', '2026-11-22T10:00:00Z'),
      backup('failed', 'etcd-a', 'Failed', '2026-11-23T10:00:00Z'),
      backup('other', 'etcd-b', 'Completed', '2026-11-23T11:00:00Z'),
      backup('new', 'etcd-a', 'Completed', '2026-11-23T12:00:00Z'),
    ]);
    assert.deepEqual(
      choices.map((c) => c.backup),
      ['new', 'old'],
    );
    assert.equal(choices[0].description, '2026-11-23T12:00:00Z · 20480 bytes · etcd 3.5.35');
    assert.equal(restoredName('etcd-a', new Set(['etcd-a', 'etcd-a-restored'])), 'etcd-a-restored-2');
    const source = etcd('etcd-a', { replicas: 5, restoreFrom: { backupName: 'older' } });
    const restored = restoredClusterManifest(source, 'new', 'etcd-a-restored');
    assert.deepEqual(restored.metadata, { name: 'etcd-a-restored', namespace: 'fleet', labels: { 'kokpit.dev/restored-from': 'new' } });
    assert.deepEqual(restored.spec, { replicas: 5, version: '3.5.35', restoreFrom: { backupName: 'new' } });
  });
});

describe('actions: endpoint and events', () => {
  it('copies the endpoint, or says why there is none', () => {
    assert.equal(endpointOf(bc({}, { endpoint: 'https://127.0.0.1:31443' })), 'https://127.0.0.1:31443');
    assert.throws(
      () => endpointOf(bc({}, { phase: 'Provisioning' })),
      /BusinessCluster fleet\/prod has no endpoint yet \(phase Provisioning\)/,
    );
  });

  it('lists events oldest first in aligned columns, and says when there are none', () => {
    const text = formatEvents(
      { kind: 'EtcdCluster', namespace: 'fleet', name: 'etcd-a' },
      [
        {
          type: 'Warning',
          reason: 'MemberUnhealthy',
          message: 'etcd-a-1 is\nnot answering',
          count: 3,
          lastTimestamp: '2026-11-23T12:05:00Z',
          source: { component: 'kokpit-etcd' },
        },
        {
          type: 'Normal',
          reason: 'Scaled',
          message: 'added etcd-a-2',
          lastTimestamp: new Date('2026-11-23T12:00:00Z'),
          reportingController: 'kokpit',
        },
      ],
      'meta',
    );
    const lines = text.split('\n');
    assert.match(lines[0], /^# Events of EtcdCluster fleet\/etcd-a in meta/);
    assert.match(lines[2], /^LAST SEEN\s+TYPE\s+REASON\s+COUNT\s+FROM\s+MESSAGE$/);
    assert.match(lines[3], /^2026-11-23T12:00:00\.000Z\s+Normal\s+Scaled\s+1\s+kokpit\s+added etcd-a-2$/);
    assert.match(lines[4], /Warning\s+MemberUnhealthy\s+3\s+kokpit-etcd\s+etcd-a-1 is not answering$/);
    assert.equal(lines[2].indexOf('TYPE'), lines[3].indexOf('Normal'));
    assert.match(formatEvents({ kind: 'BusinessCluster', name: 'x' }, [], 'meta'), /\n\nNo events\.\n$/);
  });

  it('retries reads answered 429 (storage initializing) a few times, nothing else', async () => {
    let calls = 0;
    const busy = new KubeApiError('list EtcdBackup: HTTP 429 TooManyRequests: storage is (re)initializing', 429, 'TooManyRequests');
    assert.equal(await retryTooManyRequests(async () => (++calls < 3 ? Promise.reject(busy) : 'ok'), 5, 1), 'ok');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      retryTooManyRequests(async () => (++calls, Promise.reject(busy)), 4, 1),
      /storage is \(re\)initializing/,
    );
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(
      retryTooManyRequests(async () => (++calls, Promise.reject(new KubeApiError('HTTP 404 NotFound', 404, 'NotFound'))), 4, 1),
      /404/,
    );
    assert.equal(calls, 1);
  });

  it('reads the value a failed patch guard looked at', () => {
    assert.equal(valueAt({ spec: { etcd: { managed: { replicas: 3 } } } }, '/spec/etcd/managed/replicas'), 3);
    assert.equal(valueAt({ spec: {} }, '/spec/version'), undefined);
  });
});

describe('actions: local environment from the editor', () => {
  it('runs `kokpit up --detach` with the name, runtime and sample; `kokpit down` with the name', () => {
    assert.deepEqual(upArguments({ name: 'kokpit', withSample: false }), ['up', '--detach', '--name', 'kokpit']);
    assert.deepEqual(upArguments({ name: 'dev', runtime: 'sandbox', withSample: true }), [
      'up',
      '--detach',
      '--name',
      'dev',
      '--runtime',
      'sandbox',
      '--with-sample',
    ]);
    assert.deepEqual(downArguments('dev'), ['down', '--name', 'dev']);
    assert.throws(() => upArguments({ name: 'Bad Name', withSample: false }), /invalid local meta cluster name "Bad Name"/);
  });

  it('turns CLI output into progress: whole lines, no blank or kubectl hints, the supervisor pid', () => {
    const lines: string[] = [];
    const split = new LineSplitter((l) => lines.push(l));
    split.push('Runtime: sandbox (no docker)\n  ✓ control pl');
    split.push('ane (4.1s)\r\n\n  kubectl --kubeconfig /x get ns\nlast');
    split.end();
    assert.deepEqual(lines, ['Runtime: sandbox (no docker)', '  ✓ control plane (4.1s)', '', '  kubectl --kubeconfig /x get ns', 'last']);
    assert.deepEqual(lines.map(progressMessage), ['Runtime: sandbox (no docker)', '✓ control plane (4.1s)', undefined, undefined, 'last']);
    assert.equal(supervisorPid('Starting local environment "kokpit" (sandbox) in the background (pid 4242, log /x/up.log)…'), 4242);
    assert.equal(supervisorPid('Local environment "kokpit" is already running'), undefined);
    assert.equal(failureDetail('a\n\nb\nkokpit up: preflight failed\n', 2), 'b\nkokpit up: preflight failed');
  });

  it('knows which kubeconfig files belong to an environment', () => {
    assert.equal(isEnvironmentKubeconfig(`${environmentDir('dev')}/kubeconfig`, 'dev'), true);
    assert.equal(isEnvironmentKubeconfig(`${environmentDir('dev')}/kubeconfig`, 'de'), false);
    assert.equal(isEnvironmentKubeconfig(undefined, 'dev'), false);
  });
});
