import assert from 'node:assert/strict';
import type { BusinessCluster, FleetRollout } from '../../../src/api';
import { DashboardFeed, DashboardModel, diffRow, lastCondition, sparkline, SPARK_HEIGHT, SPARK_WIDTH } from '../../../src/fleet/dashboard';
import { clusterEventOf, type ClusterEvent } from '../../../src/fleet/cluster-events';
import { businessCluster, etcdCluster, machine } from '../../support/objects';

function clock(start = 1_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function withEtcdSize(name: string, bytes: number) {
  const ec = etcdCluster(name);
  for (const m of ec.status!.members!) m.dbSize = bytes;
  return ec;
}

function rollout(name: string, cluster: string, state: 'Pending' | 'Upgrading'): FleetRollout {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'FleetRollout',
    metadata: { name },
    spec: { target: { kubernetesVersion: 'v1.34.2' }, waves: [{ name: 'w1', clusters: 1 }] },
    status: { phase: 'Progressing', clusters: [{ namespace: 'default', name: cluster, wave: 'w1', state, to: 'v1.34.2' }] },
  } as unknown as FleetRollout;
}

describe('DashboardModel', () => {
  it('makes one row per BusinessCluster with its etcd, control plane and machines', () => {
    const m = new DashboardModel();
    m.upsert(businessCluster('alpha'));
    m.upsert(etcdCluster('alpha-etcd', 'default', 3, false));
    m.upsert(machine('alpha-m0', 'alpha'));
    m.upsert(machine('alpha-m1', 'alpha', 'default', 'Provisioning'));
    m.upsert(machine('beta-m0', 'beta'));
    const [row, ...rest] = m.rows();
    assert.equal(rest.length, 0, 'machines of a cluster not (yet) seen make no row');
    assert.equal(row.id, 'default/alpha');
    assert.equal(row.phase, 'Running');
    assert.equal(row.status, 'ok');
    assert.equal(row.version, 'v1.33.13');
    assert.equal(row.target, undefined);
    assert.deepEqual([row.cpReady, row.cpTotal], [3, 3]);
    assert.deepEqual([row.etcd, row.etcdHealth, row.etcdReady, row.etcdTotal, row.dbSize], ['alpha-etcd', 'degraded', 2, 3, 61440]);
    assert.deepEqual([row.machinesReady, row.machinesTotal], [1, 2]);
  });

  it('follows a shared etcd named by clusterRef and says unknown before the EtcdCluster is seen', () => {
    const m = new DashboardModel();
    const bc = businessCluster('gamma');
    bc.spec.etcd = { clusterRef: { name: 'shared' } } as BusinessCluster['spec']['etcd'];
    m.upsert(bc);
    assert.equal(m.row('default/gamma')!.etcdHealth, 'unknown');
    assert.deepEqual(m.upsert(etcdCluster('shared')), ['default/gamma'], 'the etcd change names the rows on it');
    assert.equal(m.row('default/gamma')!.etcdHealth, 'healthy');
    assert.deepEqual(m.upsert(etcdCluster('other')), [], 'an etcd no row uses changes no row');
  });

  it('counts a lost quorum as down', () => {
    const m = new DashboardModel();
    m.upsert(businessCluster('a'));
    const ec = etcdCluster('a-etcd');
    ec.status!.phase = 'QuorumLost';
    m.upsert(ec);
    assert.equal(m.row('default/a')!.etcdHealth, 'down');
  });

  it('shows the target version while an upgrade or a rollout moves the cluster', () => {
    const m = new DashboardModel();
    const bc = businessCluster('a', 'default', 'Upgrading');
    bc.spec.version = 'v1.34.2';
    m.upsert(bc);
    assert.deepEqual([m.row('default/a')!.version, m.row('default/a')!.target], ['v1.33.13', 'v1.34.2']);
    m.upsert(businessCluster('b'));
    assert.deepEqual(m.upsert(rollout('r1', 'b', 'Pending')), ['default/b']);
    assert.equal(m.row('default/b')!.target, 'v1.34.2 (w1, pending)');
    assert.deepEqual(m.remove({ kind: 'FleetRollout', name: 'r1' }), ['default/b'], 'a deleted rollout releases its clusters');
    assert.equal(m.row('default/b')!.target, undefined);
  });

  it('takes the newest condition with a message as the last event', () => {
    const c = lastCondition([
      { type: 'Ready', status: 'True', message: 'old', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'EtcdReady', status: 'False', message: 'etcd lost quorum', lastTransitionTime: '2026-01-02T00:00:00Z' },
      { type: 'AddonsReady', status: 'False', lastTransitionTime: '2026-01-03T00:00:00Z' },
    ]);
    assert.equal(c?.message, 'etcd lost quorum');
    const m = new DashboardModel();
    m.upsert(businessCluster('a', 'default', 'Degraded'));
    assert.deepEqual([m.row('default/a')!.lastMessage, m.row('default/a')!.status], ['control plane is Degraded', 'error']);
  });

  it('shows the newest of the cluster’s Events and its conditions, and forgets an expired Event', () => {
    const m = new DashboardModel();
    const bc = businessCluster('a', 'default', 'Degraded');
    bc.status!.conditions![0].lastTransitionTime = '2026-01-02T00:00:00Z';
    m.upsert(bc);
    const ev = (event: string, time: string, over: Partial<ClusterEvent> = {}): ClusterEvent => ({
      id: 'default/a',
      event: `default/${event}`,
      type: 'Warning',
      reason: 'EtcdUnhealthy',
      message: 'member a-etcd-0 is not answering',
      time,
      ...over,
    });
    assert.deepEqual(m.recordEvent(ev('e1', '2026-01-01T00:00:00.000Z')), ['default/a']);
    assert.equal(m.row('default/a')!.lastMessage, 'control plane is Degraded', 'an older Event loses to the condition');
    m.recordEvent(ev('e2', '2026-01-03T00:00:00.000Z'));
    assert.deepEqual(
      [m.row('default/a')!.lastMessage, m.row('default/a')!.lastTime, m.row('default/a')!.lastWarning],
      ['EtcdUnhealthy: member a-etcd-0 is not answering', '2026-01-03T00:00:00.000Z', true],
    );
    assert.deepEqual(m.recordEvent(ev('e1', '2026-01-02T12:00:00.000Z')), [], 'an older Event does not replace a newer one');
    m.recordEvent(ev('e2', '2026-01-04T00:00:00.000Z', { type: 'Normal', reason: 'Upgraded', message: 'to v1.33.13' }));
    assert.deepEqual([m.row('default/a')!.lastMessage, m.row('default/a')!.lastWarning], ['Upgraded: to v1.33.13', false]);
    assert.deepEqual(m.recordEvent(ev('e1', '2026-01-01T00:00:00.000Z'), true), [], 'removing another Event changes nothing');
    m.recordEvent(ev('e2', '2026-01-04T00:00:00.000Z'), true);
    assert.equal(m.row('default/a')!.lastMessage, 'control plane is Degraded', 'an expired Event falls back to the condition');
    assert.deepEqual(m.recordEvent({ ...ev('e3', '2026-01-05T00:00:00.000Z'), id: 'default/gone' }), [], 'no row, no Event kept');
  });

  it('reads a BusinessCluster’s Event from a list (Dates) or a watch (strings), and nothing else', () => {
    const base = {
      metadata: { name: 'a.1', namespace: 'team' },
      involvedObject: { kind: 'BusinessCluster', name: 'a', namespace: 'team' },
      reason: 'Degraded',
      message: 'etcd lost quorum',
      type: 'Warning',
    };
    const fromList = clusterEventOf({ ...base, lastTimestamp: new Date('2026-01-03T00:00:00Z') });
    const fromWatch = clusterEventOf({ ...base, series: { lastObservedTime: '2026-01-03T00:00:00Z' as never, count: 2 } });
    assert.deepEqual(fromList, {
      id: 'team/a',
      event: 'team/a.1',
      type: 'Warning',
      reason: 'Degraded',
      message: 'etcd lost quorum',
      time: '2026-01-03T00:00:00.000Z',
    });
    assert.deepEqual(fromWatch, fromList);
    assert.equal(clusterEventOf({ ...base, involvedObject: { kind: 'Pod', name: 'a' }, lastTimestamp: new Date() }), undefined);
    assert.equal(clusterEventOf({ ...base, metadata: { name: 'x' } }), undefined, 'no time at all');
  });

  it('removes rows, machines and etcd facts on delete', () => {
    const m = new DashboardModel();
    m.upsert(businessCluster('a'));
    m.upsert(etcdCluster('a-etcd'));
    m.upsert(machine('a-m0', 'a'));
    assert.deepEqual(m.remove({ kind: 'Machine', namespace: 'default', name: 'a-m0' }), ['default/a']);
    assert.equal(m.row('default/a')!.machinesTotal, 0);
    m.remove({ kind: 'EtcdCluster', namespace: 'default', name: 'a-etcd' });
    assert.equal(m.row('default/a')!.etcdHealth, 'unknown');
    m.remove({ kind: 'BusinessCluster', namespace: 'default', name: 'a' });
    assert.deepEqual(m.rows(), []);
  });

  it('keeps a ring of etcd DB size samples for the last hour and draws it', () => {
    const c = clock();
    const m = new DashboardModel(c.now);
    m.upsert(businessCluster('a'));
    for (let i = 0; i < 200; i++) {
      m.upsert(withEtcdSize('a-etcd', 1000 + i));
      c.advance(60_000);
    }
    const samples = m.dbSamples('default/a');
    assert.ok(samples.length > 0 && samples.length <= 62, `one sample a minute over an hour: ${samples.length}`);
    assert.ok(samples[1][0] > samples[samples.length - 1][0] - 3_600_000, 'nothing older than an hour but the size at its start');
    assert.equal(samples[samples.length - 1][1], 1199);
    assert.ok(m.row('default/a')!.spark.split(' ').length > 60, 'the row carries the drawn samples');
    const busy = new DashboardModel(c.now);
    busy.upsert(businessCluster('a'));
    for (let i = 0; i < 100; i++) busy.upsert(withEtcdSize('a-etcd', i));
    assert.ok(busy.dbSamples('default/a').length <= 2, 'samples within seconds replace each other');
  });
});

describe('sparkline', () => {
  it('puts now at the right edge and the largest size at the top', () => {
    const now = 10_000_000;
    const pts = sparkline(
      [
        [now - 3_600_000, 100],
        [now - 1_800_000, 300],
      ],
      now,
    )
      .split(' ')
      .map((p) => p.split(',').map(Number));
    assert.deepEqual(pts[0], [0, SPARK_HEIGHT - 1]);
    assert.deepEqual(pts[1], [SPARK_WIDTH / 2, 1]);
    assert.deepEqual(pts[2], [SPARK_WIDTH, 1], 'the last value holds until now');
    assert.equal(
      sparkline([[now - 7_200_000, 1]], now),
      `0,${SPARK_HEIGHT - 1} ${SPARK_WIDTH},${SPARK_HEIGHT - 1}`,
      'a size from before the hour holds',
    );
    assert.equal(sparkline([], now), '');
  });
});

describe('diffRow and DashboardFeed', () => {
  it('sends only the fields that changed, the whole row when new, and removals', () => {
    const m = new DashboardModel();
    m.upsert(businessCluster('a'));
    const before = m.row('default/a')!;
    m.upsert(businessCluster('a', 'default', 'Degraded'));
    const after = m.row('default/a')!;
    const u = diffRow('default/a', before, after);
    assert.ok(u && 'set' in u);
    assert.deepEqual(Object.keys(u.set).sort(), ['lastMessage', 'lastWarning', 'phase', 'status']);
    assert.deepEqual(diffRow('default/a', undefined, after), { id: 'default/a', row: after });
    assert.deepEqual(diffRow('default/a', after, undefined), { id: 'default/a', removed: true });
    assert.equal(diffRow('default/a', after, { ...after }), undefined, 'an equal row sends nothing');
  });

  it('turns one cluster change among 1,000 into one small update', () => {
    const m = new DashboardModel();
    const feed = new DashboardFeed(m);
    for (let i = 0; i < 1000; i++) m.upsert(businessCluster(`bc-${i}`));
    assert.equal(feed.full().length, 1000);
    const ids = m.upsert(businessCluster('bc-7', 'default', 'Upgrading'));
    const updates = feed.updates(ids);
    assert.equal(updates.length, 1);
    assert.ok(JSON.stringify(updates).length < 200, JSON.stringify(updates));
    assert.deepEqual(feed.updates(ids), [], 'what was sent is not sent again');
    assert.deepEqual(feed.updates(m.upsert(businessCluster('bc-1001'))), [{ id: 'default/bc-1001', row: m.row('default/bc-1001') }]);
    assert.deepEqual(feed.updates(m.remove({ kind: 'BusinessCluster', namespace: 'default', name: 'bc-3' })), [
      { id: 'default/bc-3', removed: true },
    ]);
  });
});
