// The Fleet view's data path without VS Code: scripted watch streams feed FleetConnection, which batches the
// ids of changed nodes per debounce window; node rendering (icons, colours, collapsing) and object views.
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { FLEET_KINDS, FleetConnection, type ObjectStream, type StreamEvent } from '../../../src/extension/model/fleet-connection';
import { fleetIcon, toFleetNodeView } from '../../../src/extension/model/fleet-view';
import type { Clock, TimerHandle } from '../../../src/extension/model/clock';
import type { Logger } from '../../../src/extension/model/logger';
import { objectViewPath, parseObjectViewPath, renderObjectStatus, renderObjectYaml } from '../../../src/extension/model/object-documents';
import { nodeIdArgument } from '../../../src/extension/model/commands';

/** A clock whose timers run only when the test advances it. */
class ManualClock implements Clock {
  private t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id as unknown as TimerHandle;
  }
  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h as unknown as number);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at <= this.t) {
        this.timers.delete(id);
        timer.fn();
      }
    }
  }
  get pending(): number {
    return this.timers.size;
  }
}

class ScriptedStream implements ObjectStream {
  handlers: ((obj: KubernetesObject, e: StreamEvent) => void)[] = [];
  started = false;
  stopped = false;
  constructor(private readonly ready: Promise<void> = Promise.resolve()) {}
  onEvent(h: (obj: KubernetesObject, e: StreamEvent) => void): void {
    this.handlers.push(h);
  }
  async start(): Promise<void> {
    this.started = true;
    await this.ready;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  emit(obj: KubernetesObject, e: StreamEvent = 'add'): void {
    for (const h of this.handlers) h(obj, e);
  }
}

const logs: string[] = [];
const logger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m) => void logs.push(m),
  error: (m) => void logs.push(String(m)),
};

const etcd = (phase: string, ready = 3) => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'EtcdCluster',
  metadata: { name: 'etcd-a', namespace: 'fleet', generation: 2 },
  spec: { replicas: 3, version: '3.5.35' },
  status: {
    phase,
    readyMembers: ready,
    currentVersion: '3.5.35',
    observedGeneration: 1,
    members: [{ name: 'etcd-a-0', healthy: true, leader: true, dbSize: 2 * 1024 * 1024, version: '3.5.35' }],
    conditions: [
      {
        type: 'Available',
        status: phase === 'Running' ? 'True' : 'False',
        reason: phase === 'Running' ? 'QuorumHealthy' : 'Bootstrapping',
        message: 'm',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
});
const business = (phase: string) => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name: 'prod', namespace: 'fleet', managedFields: [{ manager: 'kokpit' }] },
  spec: { version: 'v1.33.13', etcd: { clusterRef: { name: 'etcd-a' } } },
  status: { phase, version: 'v1.33.13', endpoint: 'https://127.0.0.1:31443', kubeconfigSecretName: 'prod-admin-kubeconfig' },
});

function connect(clock: ManualClock, ready?: Promise<void>, syncTimeoutMs?: number) {
  const streams = new Map<string, ScriptedStream>();
  const connection = new FleetConnection({
    name: 'meta',
    clock,
    logger,
    debounceMs: 100,
    syncTimeoutMs,
    streams: (k) => {
      const s = new ScriptedStream(ready);
      streams.set(k.kind, s);
      return s;
    },
  });
  return { connection, streams };
}

describe('extension: FleetConnection (scripted watch streams)', () => {
  it('starts one stream per fleet kind and resolves once all have listed', async () => {
    const clock = new ManualClock();
    const { connection, streams } = connect(clock);
    await connection.start();
    assert.deepEqual([...streams.keys()].sort(), FLEET_KINDS.map((k) => k.kind).sort());
    assert.ok([...streams.values()].every((s) => s.started));
    assert.equal(clock.pending, 0, 'the sync deadline timer is cleared');
    await connection.stop();
    assert.ok([...streams.values()].every((s) => s.stopped));
  });

  it('a stream that never lists fails start() at the deadline with a clear message', async () => {
    const clock = new ManualClock();
    const { connection } = connect(clock, new Promise(() => undefined), 2000);
    const started = connection.start();
    clock.advance(2000);
    await assert.rejects(started, /did not list every kind within 2 s/);
  });

  it('coalesces many events for the same nodes into one batch per debounce window', async () => {
    const clock = new ManualClock();
    const { connection, streams } = connect(clock);
    await connection.start();
    const batches: string[][] = [];
    connection.onDidChange((ids) => batches.push(ids));
    streams.get('EtcdCluster')!.emit(etcd('Bootstrapping', 1));
    streams.get('EtcdCluster')!.emit(etcd('Bootstrapping', 2), 'update');
    streams.get('BusinessCluster')!.emit(business('Provisioning'));
    assert.equal(batches.length, 0, 'nothing before the window ends');
    clock.advance(99);
    assert.equal(batches.length, 0);
    clock.advance(1);
    assert.equal(batches.length, 1);
    const root = connection.model.rootId;
    const etcdId = `${root}/EtcdCluster/fleet/etcd-a`;
    const bcId = `${root}/BusinessCluster/fleet/prod`;
    assert.ok(batches[0].includes(etcdId) && batches[0].includes(bcId) && batches[0].includes(`${root}/etcd`), JSON.stringify(batches[0]));
    assert.equal(new Set(batches[0]).size, batches[0].length, 'each id once');

    // A status change touches only the nodes it re-renders.
    streams.get('EtcdCluster')!.emit(etcd('Running', 3), 'update');
    clock.advance(100);
    assert.deepEqual(batches[1], [etcdId]);
    assert.match(connection.model.get(etcdId)!.description!, /3\/3 · 3\.5\.35 · Running/);
    assert.equal(connection.model.get(etcdId)!.contextValue, 'kokpit.etcdCluster.ready');

    // An identical update re-renders nothing, so nothing is scheduled.
    streams.get('EtcdCluster')!.emit(etcd('Running', 3), 'update');
    assert.equal(clock.pending, 0);

    // Deletion refreshes the parent group, and the object leaves the cache.
    streams.get('BusinessCluster')!.emit(business('Running'), 'delete');
    clock.advance(100);
    assert.deepEqual(batches[2], [`${root}/clusters`]);
    assert.equal(connection.object({ kind: 'BusinessCluster', namespace: 'fleet', name: 'prod' }), undefined);
    await connection.stop();
  });

  it('keeps the watched objects for views and pickers, and survives an object it cannot render', async () => {
    const clock = new ManualClock();
    const { connection, streams } = connect(clock);
    await connection.start();
    const changedObjects: string[] = [];
    connection.onDidChangeObject((r) => changedObjects.push(`${r.kind}/${r.name}`));
    streams.get('BusinessCluster')!.emit(business('Running'));
    streams.get('EtcdCluster')!.emit(etcd('Running'));
    streams
      .get('Machine')!
      .emit({ apiVersion: 'kokpit.dev/v1alpha1', kind: 'Machine', metadata: { name: 'broken', namespace: 'fleet' } } as KubernetesObject);
    assert.deepEqual(changedObjects, ['BusinessCluster/prod', 'EtcdCluster/etcd-a']);
    assert.ok(
      logs.some((l) => /cannot show Machine fleet\/broken/.test(l)),
      logs.join('\n'),
    );
    assert.deepEqual(
      connection
        .objectNodes()
        .map((n) => n.ref!.kind)
        .sort(),
      ['BusinessCluster', 'EtcdCluster'],
    );
    assert.equal(
      (connection.object({ kind: 'BusinessCluster', namespace: 'fleet', name: 'prod' }) as ReturnType<typeof business>).status.phase,
      'Running',
    );
    await connection.stop();
    streams.get('EtcdCluster')!.emit(etcd('Degraded'), 'update');
    assert.equal(clock.pending, 0, 'events after stop are ignored');
  });
});

describe('extension: fleet node rendering', () => {
  it('kind icons coloured by status; progress spins; groups count their children', async () => {
    assert.equal(fleetIcon({ kind: 'etcdCluster', status: 'ok' }), 'database#testing.iconPassed');
    assert.equal(fleetIcon({ kind: 'businessCluster', status: 'error' }), 'server-environment#list.errorForeground');
    assert.equal(fleetIcon({ kind: 'machine', status: 'warning' }), 'vm#list.warningForeground');
    assert.equal(fleetIcon({ kind: 'businessCluster', status: 'progress' }), 'sync~spin');
    assert.equal(fleetIcon({ kind: 'etcdMember', status: 'unknown' }), 'circle-filled');

    const clock = new ManualClock();
    const { connection, streams } = connect(clock);
    await connection.start();
    streams.get('EtcdCluster')!.emit(etcd('Running'));
    const m = connection.model;
    const root = toFleetNodeView(m.get(m.rootId)!);
    assert.equal(root.collapsible, 'expanded');
    assert.equal(root.contextValue, 'kokpit.metaCluster');
    const group = toFleetNodeView(m.get(`${m.rootId}/etcd`)!);
    assert.deepEqual([group.label, group.description, group.collapsible, group.icon], ['etcd clusters', '1', 'expanded', 'folder']);
    const ec = toFleetNodeView(m.get(`${m.rootId}/EtcdCluster/fleet/etcd-a`)!);
    assert.equal(ec.collapsible, 'collapsed');
    assert.match(ec.tooltip!, /Available=True \(QuorumHealthy\)/);
    assert.match(ec.tooltip!, /status: ready/);
    const member = toFleetNodeView(m.get(`${m.rootId}/EtcdCluster/fleet/etcd-a/member/etcd-a-0`)!);
    assert.deepEqual(
      [member.label, member.description, member.collapsible, member.contextValue],
      ['etcd-a-0', 'leader · 2.0 MiB · 3.5.35', 'none', 'kokpit.etcdMember.leader'],
    );
    assert.equal(toFleetNodeView(m.get(`${m.rootId}/versions`)!).collapsible, 'collapsed');
    await connection.stop();
  });

  it('tree commands accept a node id, a node-like object, or nothing', () => {
    assert.equal(nodeIdArgument('meta:x/etcd'), 'meta:x/etcd');
    assert.equal(nodeIdArgument({ id: 'meta:x' }), 'meta:x');
    assert.equal(nodeIdArgument(undefined), undefined);
    assert.equal(nodeIdArgument(''), undefined);
    assert.equal(nodeIdArgument({ label: 'x' }), undefined);
  });
});

describe('extension: read-only object views', () => {
  it('URIs round-trip for namespaced and cluster-scoped objects', () => {
    const ns = { kind: 'BusinessCluster', namespace: 'fleet', name: 'prod' };
    const cluster = { kind: 'KubernetesVersion', name: 'v1.33.13' };
    assert.equal(objectViewPath('yaml', ns), '/yaml/BusinessCluster/fleet/prod.yaml');
    assert.deepEqual(parseObjectViewPath(objectViewPath('yaml', ns)), { view: 'yaml', ref: ns });
    assert.deepEqual(parseObjectViewPath(objectViewPath('status', ns)), { view: 'status', ref: ns });
    assert.deepEqual(parseObjectViewPath(objectViewPath('yaml', cluster)), { view: 'yaml', ref: { ...cluster, namespace: undefined } });
    assert.equal(parseObjectViewPath('/other/x'), undefined);
  });

  it('YAML drops managedFields; status lists failing conditions first and says whether the spec was observed', () => {
    const yaml = renderObjectYaml(business('Running') as KubernetesObject);
    assert.doesNotMatch(yaml, /managedFields/);
    assert.match(yaml, /kind: BusinessCluster/);
    assert.match(yaml, /endpoint: https:\/\/127\.0\.0\.1:31443/);
    const obj = etcd('Bootstrapping');
    obj.status.conditions.push({
      type: 'Progressing',
      status: 'True',
      reason: 'Scaling',
      message: 'adding',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const status = renderObjectStatus(obj as KubernetesObject);
    assert.match(status, /object: EtcdCluster fleet\/etcd-a/);
    assert.match(status, /phase: Bootstrapping/);
    assert.match(status, /observed: "?behind: generation 2, observed 1"?/);
    assert.ok(status.indexOf('type: Available') < status.indexOf('type: Progressing'), status);
    assert.match(renderObjectStatus({ apiVersion: 'v', kind: 'Machine', metadata: { name: 'm' } }), /not reconciled yet/);
  });
});
