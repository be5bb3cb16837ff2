// The density benchmark's pure parts: its flags, the budget rule and the report's shape and arithmetic.
import * as assert from 'node:assert/strict';
import { fitsBudget, modeReport, parseDensityArgs, perCluster, type ClusterResult } from '../../../bench/density';

describe('bench density: flags', () => {
  it('defaults: 16 GiB, 40 clusters, both etcd modes (dedicated first), a 600 s deadline, v1.33.13', () => {
    const o = parseDensityArgs([]);
    assert.deepEqual(o, { budgetGib: 16, max: 40, modes: ['dedicated', 'shared'], deadlineS: 600, version: 'v1.33.13', log: undefined });
  });

  it('--etcd, --shared-etcd, --budget-gib, --max, --deadline-s', () => {
    assert.deepEqual(parseDensityArgs(['--etcd=dedicated']).modes, ['dedicated']);
    assert.deepEqual(parseDensityArgs(['--shared-etcd']).modes, ['shared']);
    const o = parseDensityArgs(['--budget-gib=2.5', '--max=3', '--deadline-s=900', '--log=/tmp/x.log']);
    assert.equal(o.budgetGib, 2.5);
    assert.equal(o.max, 3);
    assert.equal(o.deadlineS, 900);
    assert.equal(o.log, '/tmp/x.log');
  });

  it('refuses an unknown flag, an unknown mode and a value out of range, naming it', () => {
    assert.throws(() => parseDensityArgs(['--clusters=3']), /unknown flag --clusters=3/);
    assert.throws(() => parseDensityArgs(['--etcd=external']), /--etcd=external must be both, dedicated or shared/);
    assert.throws(() => parseDensityArgs(['--max=0']), /--max=0 must be a number ≥ 1/);
    assert.throws(() => parseDensityArgs(['--budget-gib=lots']), /--budget-gib=lots/);
  });
});

describe('bench density: budget and report', () => {
  it('one more cluster fits while the total stays within the budget', () => {
    assert.equal(fitsBudget(1000, 24, 1), true); // exactly 1024 MiB
    assert.equal(fitsBudget(1000, 25, 1), false);
  });

  const clusters: ClusterResult[] = [
    {
      name: 'd1',
      readyMs: 40_000,
      mem: { 'kube-apiserver': { rss: 300, pss: 200 }, etcd: { rss: 60, pss: 40 }, kwok: { rss: 30, pss: 20 } },
    },
    {
      name: 'd2',
      readyMs: 50_000,
      mem: { 'kube-apiserver': { rss: 320, pss: 220 }, etcd: { rss: 40, pss: 20 }, kwok: { rss: 30, pss: 20 } },
    },
  ];

  it('per cluster: the mean of each component and their total, MiB', () => {
    assert.deepEqual(perCluster(clusters), {
      etcd: { rss: 50, pss: 30 },
      'kube-apiserver': { rss: 310, pss: 210 },
      kwok: { rss: 30, pss: 20 },
      total: { rss: 390, pss: 260 },
    });
    assert.deepEqual(perCluster([]), {});
  });

  it('a dedicated run: clusters Ready, first and last time to Ready, RSS and PSS per component', () => {
    const r = modeReport({ mode: 'dedicated', clusters, stoppedBecause: '--max=2 reached' });
    assert.deepEqual(r, {
      etcd: 'dedicated',
      clusters_ready: 2,
      stopped_because: '--max=2 reached',
      rss_mib_per_cluster: { etcd: 50, 'kube-apiserver': 310, kwok: 30, total: 390 },
      pss_mib_per_cluster: { etcd: 30, 'kube-apiserver': 210, kwok: 20, total: 260 },
      total_rss_mib: 780,
      time_to_ready_ms_first: 40_000,
      time_to_ready_ms_last: 50_000,
      time_to_ready_ms_all: [40_000, 50_000],
    });
  });

  it('a shared run: the one etcd member is divided among the clusters and reported on its own', () => {
    const noEtcd = clusters.map((c) => ({ ...c, mem: { ...c.mem, etcd: undefined } }));
    const r = modeReport({ mode: 'shared', clusters: noEtcd, stoppedBecause: 'SIGINT', sharedEtcd: { rss: 90, pss: 70 } });
    assert.deepEqual(r.rss_mib_per_cluster, { etcd: 45, 'kube-apiserver': 310, kwok: 30, total: 385 });
    assert.equal(r.shared_etcd_rss_mib, 90);
    assert.equal(r.shared_etcd_pss_mib, 70);
    assert.equal(r.total_rss_mib, 770);
    assert.equal(r.stopped_because, 'SIGINT');
  });
});
