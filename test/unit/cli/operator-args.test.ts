// `kokpit operator` flags that need no cluster: --controllers picks operators by name, and refuses what it does not know.
import assert from 'node:assert/strict';
import { operatorOptions, parseOperatorArgs } from '../../../src/cli/commands/operator';
import { UsageError } from '../../../src/cli/command';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BusinessCluster } from '../../../src/api';

describe('kokpit operator: --controllers', () => {
  it('defaults to all four operators, and keeps their order whatever the order given', () => {
    assert.deepEqual(parseOperatorArgs([]).controllers, ['etcd', 'cluster', 'machine', 'rollout']);
    assert.deepEqual(parseOperatorArgs(['--controllers', 'rollout,cluster']).controllers, ['cluster', 'rollout']);
  });

  it('refuses an unknown or empty name with the list of valid ones', () => {
    assert.throws(
      () => parseOperatorArgs(['--controllers', 'cluster,etcdd']),
      (e: Error) =>
        e instanceof UsageError &&
        /--controllers: unknown etcdd; a comma-separated list of etcd, cluster, machine, rollout, multicluster/.test(e.message),
    );
    assert.throws(() => parseOperatorArgs(['--controllers', 'cluster,']), UsageError);
  });

  it('multicluster only when named (the hub must be installed), e.g. alone beside a manager that has none', () => {
    assert.ok(!parseOperatorArgs([]).controllers.includes('multicluster'));
    assert.deepEqual(parseOperatorArgs(['--controllers', 'multicluster']).controllers, ['multicluster']);
    assert.deepEqual(parseOperatorArgs(['--controllers', 'multicluster,cluster']).controllers, ['cluster', 'multicluster']);
  });
});

describe('kokpit operator: --concurrent-cluster-syncs', () => {
  it('is the operator default unless given, and an integer from 1 to 100', () => {
    assert.equal(parseOperatorArgs([]).clusterWorkers, undefined);
    assert.equal(parseOperatorArgs(['--concurrent-cluster-syncs', '16']).clusterWorkers, 16);
    for (const bad of ['0', '1.5', 'many', '101'])
      assert.throws(
        () => parseOperatorArgs(['--concurrent-cluster-syncs', bad]),
        (e: Error) => e instanceof UsageError && /--concurrent-cluster-syncs must be an integer from 1 to 100/.test(e.message),
      );
  });
});

describe('kokpit operator: --kind-cluster and --backup-dir (the manager as pods of a kind meta cluster)', () => {
  it('are unset unless given; a kind cluster name and an absolute path', () => {
    const none = parseOperatorArgs([]);
    assert.equal(none.kindCluster, undefined);
    assert.equal(none.backupDir, undefined);
    const a = parseOperatorArgs(['--kind-cluster=kokpit-e2e', '--backup-dir=/root/.local/state/kokpit/e2e/backups']);
    assert.equal(a.kindCluster, 'kokpit-e2e');
    assert.equal(a.backupDir, '/root/.local/state/kokpit/e2e/backups');
  });

  it('refuses a name kind would not make and a relative backup directory', () => {
    for (const bad of ['Kokpit', 'a_b', '-x', 'a'.repeat(41)])
      assert.throws(
        () => parseOperatorArgs([`--kind-cluster=${bad}`]),
        (e: Error) => e instanceof UsageError && /--kind-cluster must be a kind cluster name/.test(e.message),
        bad,
      );
    assert.throws(
      () => parseOperatorArgs(['--backup-dir', 'backups']),
      (e: Error) => e instanceof UsageError && /--backup-dir must be an absolute path, got "backups"/.test(e.message),
    );
  });
});

describe('kokpit operator: what the flags make of the operators (operatorOptions)', () => {
  it('--kind-cluster: kind and kwok machine providers, and nodes reach the apiserver by its Service, not its pod IP', () => {
    const o = operatorOptions(parseOperatorArgs(['--kind-cluster=kokpit-e2e', '--backup-dir=/state/backups']));
    assert.deepEqual(Object.keys(o.machine?.providers ?? {}).sort(), ['kind', 'kwok']);
    assert.equal(o.cluster?.nodesUseServiceEndpoint, true, "the business cluster's `kubernetes` endpoint is the meta node's NodePort");
    assert.equal(o.etcd?.backupRoot, '/state/backups');
    assert.equal(o.etcd?.access, 'pod-ip');
  });

  it('without it: the operators keep their defaults', () => {
    const o = operatorOptions(parseOperatorArgs([]));
    assert.equal(o.machine, undefined);
    assert.equal(o.cluster, undefined);
    assert.equal(o.etcd?.backupRoot, undefined);
    assert.equal(o.multicluster, undefined);
  });

  it("--controllers multicluster: OCM's manifests beside the code; hosted agents reach business apiservers by Service name", () => {
    const o = operatorOptions(parseOperatorArgs(['--controllers', 'multicluster']));
    assert.ok(fs.existsSync(path.join(o.multicluster!.manifestsRoot, 'config/ocm/managed-rbac')), o.multicluster!.manifestsRoot);
    const bc = { metadata: { name: 'sample', namespace: 'team' }, spec: {} } as BusinessCluster;
    // The agent pod cannot reach the host's 127.0.0.1:<hostPort>; the Service name is in the apiserver's certificate.
    assert.equal(o.multicluster!.agentServer!(bc), 'https://sample-apiserver.team.svc:6443');
  });
});
