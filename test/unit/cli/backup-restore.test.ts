// `kokpit backup` / `kokpit restore`: flags, the restored cluster's shape, and what --wait calls done or failed.
import * as assert from 'node:assert/strict';
import type { EtcdBackup, EtcdCluster } from '../../../src/api';
import { runCli } from '../../../src/cli/main';
import { backupVerdict, parseTimeout } from '../../../src/cli/commands/backup';
import { restoredClusterManifest, restoreVerdict } from '../../../src/cli/commands/restore';

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), progress: () => {}, isTTY: false, cwd: process.cwd() },
  };
};

const backup = (phase?: string, over: Partial<EtcdBackup['status']> = {}): EtcdBackup =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'EtcdBackup',
    metadata: { name: 'snap', namespace: 'ns' },
    spec: { etcdClusterRef: { name: 'old' } },
    status: phase ? { phase, ...over } : undefined,
  }) as EtcdBackup;

describe('kokpit backup / restore', () => {
  it('parses timeouts and refuses bad ones', () => {
    assert.equal(parseTimeout(undefined, 5), 5);
    assert.equal(parseTimeout('90', 0), 90_000);
    assert.equal(parseTimeout('90s', 0), 90_000);
    assert.equal(parseTimeout('10m', 0), 600_000);
    assert.equal(parseTimeout('1h', 0), 3_600_000);
    for (const bad of ['0', '5d', '-1m', 'soon']) assert.throws(() => parseTimeout(bad, 0), /--timeout must be a positive duration/);
  });

  it('usage errors exit 2 before touching any cluster', async () => {
    let c = io();
    assert.equal(await runCli(['restore', 'snap'], c.io), 2);
    assert.match(c.err.join('\n'), /--into <new-etcd-cluster> is required/);
    c = io();
    assert.equal(await runCli(['backup'], c.io), 2);
    assert.match(c.err.join('\n'), /give the EtcdCluster to back up/);
    c = io();
    assert.equal(await runCli(['restore', 'snap', '--into', 'x', '--replicas', '2'], c.io), 2);
    assert.match(c.err.join('\n'), /--replicas must be one of 1, 3, 5/);
  });

  it("a restored cluster takes the old cluster's shape, flags first, and the snapshot's version without either", () => {
    const source = {
      spec: {
        replicas: 5,
        version: '3.5.35',
        quotaBackendBytes: 1024,
        storage: { size: '2Gi' },
        backup: { retain: 3, schedule: '@daily' },
      },
    } as unknown as EtcdCluster;
    const m = restoredClusterManifest({ name: 'new', namespace: 'ns', backup: backup('Completed', { etcdVersion: '3.5.34' }), source });
    assert.deepEqual(m.spec, {
      replicas: 5,
      version: '3.5.35',
      restoreFrom: { backupName: 'snap' },
      quotaBackendBytes: 1024,
      storage: { size: '2Gi' },
    });
    assert.deepEqual(m.metadata, { name: 'new', namespace: 'ns', labels: { 'kokpit.dev/restored-from': 'snap' } });
    const flags = restoredClusterManifest({
      name: 'new',
      namespace: 'ns',
      backup: backup('Completed'),
      source,
      replicas: 1,
      version: '3.5.36',
    });
    assert.equal(flags.spec.replicas, 1);
    assert.equal(flags.spec.version, '3.5.36');
    const orphan = restoredClusterManifest({ name: 'new', namespace: 'ns', backup: backup('Completed', { etcdVersion: '3.5.34' }) });
    assert.deepEqual(orphan.spec, { replicas: 3, version: '3.5.34', restoreFrom: { backupName: 'snap' } });
  });

  it('--wait: a backup is done when Completed, fails when Failed or deleted, else reports progress', () => {
    assert.ok('done' in backupVerdict(backup('Completed'), 'snap'));
    assert.deepEqual(backupVerdict(backup('Failed', { message: 'disk full' }), 'snap'), { failed: 'backup snap failed: disk full' });
    assert.deepEqual(backupVerdict(undefined, 'snap'), { failed: 'EtcdBackup snap was deleted' });
    assert.deepEqual(backupVerdict(backup('Running', { message: 'taking a snapshot from a-1' }), 'snap'), {
      progress: 'Running: taking a snapshot from a-1',
    });
  });

  it('--wait: a restore is done when Available with every member at this generation, and fails on a refused backup', () => {
    const cluster = (status: EtcdCluster['status'], generation = 1) =>
      ({ metadata: { name: 'new', generation }, spec: { replicas: 3 }, status }) as unknown as EtcdCluster;
    const available = { type: 'Available', status: 'True', reason: 'QuorumHealthy', message: '3 of 3' };
    assert.ok('done' in restoreVerdict(cluster({ readyMembers: 3, observedGeneration: 1, conditions: [available] as never }), 'new'));
    assert.ok('progress' in restoreVerdict(cluster({ readyMembers: 1, observedGeneration: 1, conditions: [available] as never }), 'new'));
    assert.ok(
      'progress' in restoreVerdict(cluster({ readyMembers: 3, observedGeneration: 1, conditions: [available] as never }, 2), 'new'),
    );
    const corrupt = restoreVerdict(
      cluster({
        conditions: [
          { type: 'Degraded', status: 'True', reason: 'BackupCorrupt', message: 'snapshot x has sha256 a, recorded b' },
        ] as never,
      }),
      'new',
    );
    assert.deepEqual(corrupt, { failed: 'restore refused (BackupCorrupt): snapshot x has sha256 a, recorded b' });
  });
});
