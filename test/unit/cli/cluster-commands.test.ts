// The offline parts of `kokpit upgrade`, `kokpit addons import` and `kokpit kubeconfig --merge`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { defaultAddons, kubernetesVersion } from '../../../src/catalog';
import { objectDiff, unifiedDiff } from '../../../src/cli/commands/diff';
import { duplicateProblems, expandPaths, parseAddonsFile } from '../../../src/cli/commands/addons';
import {
  defaultKubeconfigPath,
  mergedEntryName,
  mergeKubeconfig,
  writePrivateFile,
  type KubeconfigDoc,
} from '../../../src/cli/commands/kubeconfig';
import { checkUpgradeTarget, describeProgress, parseDuration, upgradeVerdict } from '../../../src/cli/commands/upgrade';
import { runCli } from '../../../src/cli/main';

const catalog = [
  kubernetesVersion('v1.32.13'),
  kubernetesVersion('v1.33.13'),
  kubernetesVersion('v1.34.1', 'Preview'),
  kubernetesVersion('v1.31.9', 'Deprecated'),
];
const cluster = (spec: string, status?: Record<string, unknown>, generation = 2) =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name: 'c', namespace: 'ns', generation },
    spec: { version: spec },
    status,
  }) as never;
const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, observedGeneration = 2, message?: string) => ({
  type,
  status,
  reason,
  observedGeneration,
  lastTransitionTime: '2026-01-01T00:00:00Z',
  ...(message ? { message } : {}),
});

describe('kokpit upgrade (offline parts)', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('20m'), 1_200_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.throws(() => parseDuration('soon'), /--timeout must be a duration/);
    assert.throws(() => parseDuration('5m later'), /--timeout must be a duration/);
  });

  it('checks the target against the catalog and refuses downgrades', () => {
    assert.deepEqual(checkUpgradeTarget(cluster('v1.32.13', { version: 'v1.32.13' }), 'v1.33.13', catalog), { ok: true });
    assert.deepEqual(checkUpgradeTarget(cluster('v1.33.13'), 'v1.34.1', catalog), { ok: true, note: 'v1.34.1 is a Preview version' });
    assert.deepEqual(checkUpgradeTarget(cluster('v1.33.13', { version: 'v1.33.13' }), 'v1.32.13', catalog), {
      ok: false,
      message: 'v1.32.13 is older than the v1.33.13 the cluster runs; downgrades are not supported',
    });
    assert.match(
      (checkUpgradeTarget(cluster('v1.33.13'), 'v1.32.13', catalog) as { message: string }).message,
      /older than the v1\.33\.13 the cluster asks for/,
    );
    assert.match(
      (checkUpgradeTarget(cluster('v1.32.13'), 'v1.35.0', catalog) as { message: string }).message,
      /not in the version catalog; available: v1\.32\.13, v1\.33\.13, v1\.34\.1 \(Preview\)/,
    );
    assert.match((checkUpgradeTarget(cluster('v1.30.0'), 'v1.31.9', catalog) as { message: string }).message, /is Deprecated/);
    assert.match(
      (checkUpgradeTarget(cluster('v1.32.13'), '1.33', catalog) as { message: string }).message,
      /--to must be a version such as v1\.33\.13/,
    );
  });

  it('is done only at the target version, Ready=True and the current generation observed', () => {
    const ready = [cond('Ready', 'True', 'ClusterReady')];
    assert.deepEqual(upgradeVerdict(cluster('v1.33.13', { version: 'v1.33.13', observedGeneration: 2, conditions: ready }), 'v1.33.13'), {
      state: 'done',
    });
    const stale = upgradeVerdict(
      cluster('v1.33.13', { version: 'v1.33.13', observedGeneration: 1, conditions: [cond('Ready', 'True', 'ClusterReady', 1)] }),
      'v1.33.13',
    );
    assert.deepEqual(stale, { state: 'waiting', waitingFor: 'Ready=True (now True, ClusterReady); observedGeneration 2 (now 1)' });
    const midway = upgradeVerdict(
      cluster('v1.33.13', {
        version: 'v1.32.13',
        observedGeneration: 1,
        conditions: [cond('Ready', 'False', 'Upgrading', 2, 'kube-apiserver 0/1 ready')],
      }),
      'v1.33.13',
    );
    assert.equal(midway.state, 'waiting');
    assert.match(
      (midway as { waitingFor: string }).waitingFor,
      /^status\.version v1\.33\.13 \(now v1\.32\.13\); Ready=True \(now False, Upgrading: kube-apiserver 0\/1 ready\)/,
    );
  });

  it('fails on a terminal condition of the current generation only', () => {
    const refused = cond('CatalogValid', 'False', 'DowngradeRefused', 2, 'spec.version v1.32.13 is older than the running v1.33.13');
    assert.deepEqual(upgradeVerdict(cluster('v1.32.13', { conditions: [refused] }), 'v1.32.13'), {
      state: 'failed',
      message: 'CatalogValid: spec.version v1.32.13 is older than the running v1.33.13',
    });
    assert.equal(
      upgradeVerdict(cluster('v1.32.13', { conditions: [{ ...refused, observedGeneration: 1 }] }), 'v1.32.13').state,
      'waiting',
      'a verdict about an older spec',
    );
    assert.equal(
      upgradeVerdict(cluster('v1.33.13', { conditions: [cond('APIServerAvailable', 'False', 'APIServerNotReady')] }), 'v1.33.13').state,
      'waiting',
      'not ready yet is not a failure',
    );
  });

  it('describes progress in one line', () => {
    assert.equal(describeProgress(undefined), 'waiting for the operator to report status');
    assert.equal(
      describeProgress({
        phase: 'Upgrading',
        upgrade: { from: 'v1.32.13', to: 'v1.33.13', step: 'kube-apiserver to v1.33.13' },
        components: [{ name: 'kube-apiserver', version: 'v1.33.13', replicas: 1, readyReplicas: 0 }],
        conditions: [cond('ControlPlaneReady', 'False', 'Upgrading'), cond('Ready', 'False', 'Upgrading')],
      }),
      'Upgrading · kube-apiserver to v1.33.13 · apiserver v1.33.13 0/1 · ControlPlaneReady=False (Upgrading) · Ready=False',
    );
  });

  it('usage errors exit 2', async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => err.push(t), progress: () => {}, isTTY: false, cwd: '/' };
    assert.equal(await runCli(['upgrade', 'c'], io), 2);
    assert.match(err.join('\n'), /--to VERSION/);
    assert.equal(await runCli(['upgrade', 'c', '--to', 'v1.33.13', '--timeout', 'eventually'], io), 2);
  });
});

describe('kokpit addons import (offline parts)', () => {
  const good = stringify(defaultAddons()[0]);
  it('reads Addon documents with their file:line origin', () => {
    const text = `${good}---\n${stringify(defaultAddons()[1])}`;
    const r = parseAddonsFile(text, 'a.yaml');
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.addons.map((a) => `${a.addon.metadata.name}@${a.origin}`),
      ['coredns@a.yaml:1', `kube-proxy@a.yaml:${good.split('\n').length + 1}`],
    );
  });

  it('reports schema errors with file:line:column, and other kinds', () => {
    const bad = stringify({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'Addon',
      metadata: { name: 'x' },
      spec: { version: '1', manifests: 'a: b', parameters: [{ name: 'p', type: 'colour' }] },
    });
    assert.match(parseAddonsFile(bad, 'b.yaml').problems.join('\n'), /^b\.yaml:\d+:\d+: .*colour/m);
    const other = stringify(kubernetesVersion('v1.34.2'));
    assert.deepEqual(parseAddonsFile(other, 'c.yaml').problems, [
      'c.yaml:1: document 1 is a KubernetesVersion; only kokpit.dev/v1alpha1 Addon documents can be imported (use `kokpit ' +
        'apply -f` for others)',
    ]);
  });

  it('refuses two definitions of one addon', () => {
    const a = parseAddonsFile(good, 'a.yaml').addons;
    const b = parseAddonsFile(good, 'b.yaml').addons;
    assert.deepEqual(duplicateProblems([...a, ...b]), ['b.yaml:1: Addon coredns is already defined at a.yaml:1']);
  });

  it('expands a directory to its YAML files, sorted, not recursively', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-addons-'));
    try {
      for (const f of ['b.yml', 'a.yaml', 'notes.txt']) fs.writeFileSync(path.join(dir, f), '');
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'c.yaml'), '');
      assert.deepEqual(expandPaths(['.'], dir), ['a.yaml', 'b.yml']);
      assert.throws(() => expandPaths(['sub/none.yaml'], dir), /no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kokpit kubeconfig --merge (pure merge)', () => {
  const admin: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'biz',
    clusters: [{ name: 'biz', cluster: { server: 'https://127.0.0.1:31000', 'certificate-authority-data': 'Q0E=' } }],
    users: [{ name: 'biz-admin', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } }],
    contexts: [{ name: 'biz', context: { cluster: 'biz', user: 'biz-admin' } }],
  };
  const mine: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'work',
    preferences: { colors: true },
    clusters: [{ name: 'work', cluster: { server: 'https://work.example:6443' } }],
    users: [{ name: 'me', user: { token: 't' } }],
    contexts: [{ name: 'work', context: { cluster: 'work', user: 'me', namespace: 'dev' } }],
  };

  it('adds cluster, user and context under the kokpit name, keeping everything else and current-context', () => {
    const { doc, outcome } = mergeKubeconfig(mine, admin, 'kokpit-ns-biz');
    assert.equal(outcome, 'created');
    assert.equal(doc['current-context'], 'work');
    assert.deepEqual(doc.preferences, { colors: true });
    assert.deepEqual(
      doc.clusters!.map((c) => c.name),
      ['work', 'kokpit-ns-biz'],
    );
    assert.deepEqual(doc.clusters![0], mine.clusters![0]);
    assert.deepEqual(doc.users![1], { name: 'kokpit-ns-biz', user: admin.users![0].user });
    assert.deepEqual(doc.contexts![1], { name: 'kokpit-ns-biz', context: { cluster: 'kokpit-ns-biz', user: 'kokpit-ns-biz' } });
    assert.equal(mine.clusters!.length, 1, 'the input is not modified');
  });

  it('identical entries: unchanged; different ones (ours): replaced in place, others untouched', () => {
    const first = mergeKubeconfig(mine, admin, 'kokpit-ns-biz').doc;
    assert.equal(mergeKubeconfig(first, admin, 'kokpit-ns-biz').outcome, 'unchanged');
    const moved = structuredClone(admin);
    moved.clusters![0].cluster = { server: 'https://127.0.0.1:32000', 'certificate-authority-data': 'Q0E=' };
    const { doc, outcome } = mergeKubeconfig(first, moved, 'kokpit-ns-biz');
    assert.equal(outcome, 'updated');
    assert.deepEqual(
      doc.clusters!.map((c) => c.name),
      ['work', 'kokpit-ns-biz'],
    );
    assert.equal((doc.clusters![1].cluster as { server: string }).server, 'https://127.0.0.1:32000');
    assert.deepEqual(doc.contexts![0], mine.contexts![0]);
  });

  it('--use switches current-context; a new file gets it as current-context', () => {
    assert.equal(mergeKubeconfig(mine, admin, 'kokpit-ns-biz', { use: true }).doc['current-context'], 'kokpit-ns-biz');
    const fresh = mergeKubeconfig(undefined, admin, 'kokpit-ns-biz');
    assert.equal(fresh.doc['current-context'], 'kokpit-ns-biz');
    assert.equal(fresh.outcome, 'created');
  });

  it("file and context names of (a-b, c) and (a, b-c) differ: one cluster never overwrites another's kubeconfig", () => {
    const env = { XDG_CONFIG_HOME: '/home/u/.config' };
    const files = [defaultKubeconfigPath('c', 'a-b', 'no-such-env', env), defaultKubeconfigPath('b-c', 'a', 'no-such-env', env)];
    assert.deepEqual(files, ['/home/u/.config/kokpit/kubeconfigs/a-b/c.kubeconfig', '/home/u/.config/kokpit/kubeconfigs/a/b-c.kubeconfig']);
    assert.notEqual(mergedEntryName('c', 'a-b'), mergedEntryName('b-c', 'a'));
    const both = mergeKubeconfig(mergeKubeconfig(undefined, admin, mergedEntryName('c', 'a-b')).doc, admin, mergedEntryName('b-c', 'a'));
    assert.equal(both.outcome, 'created');
    assert.deepEqual(
      both.doc.contexts!.map((c) => c.name),
      ['kokpit/a-b/c', 'kokpit/a/b-c'],
    );
  });

  it('writes atomically with mode 0600', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-kc-'));
    try {
      const f = path.join(dir, 'config');
      fs.writeFileSync(f, 'old', { mode: 0o644 });
      writePrivateFile(f, 'new');
      assert.equal(fs.readFileSync(f, 'utf8'), 'new');
      assert.equal(fs.statSync(f).mode & 0o777, 0o600);
      assert.deepEqual(fs.readdirSync(dir), ['config'], 'no temp file left');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kokpit diff (pure parts)', () => {
  it('a line diff in hunks with context; nothing for equal texts', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm'];
    assert.deepEqual(unifiedDiff(a, a), []);
    const b = [...a];
    b[1] = 'B';
    b[11] = 'L';
    assert.deepEqual(unifiedDiff(a, b), [
      '@@ -1,5 +1,5 @@',
      ' a',
      '-b',
      '+B',
      ' c',
      ' d',
      ' e',
      '@@ -9,5 +9,5 @@',
      ' i',
      ' j',
      ' k',
      '-l',
      '+L',
      ' m',
    ]);
    assert.deepEqual(unifiedDiff([], ['x', 'y']), ['@@ -0,0 +1,2 @@', '+x', '+y']);
  });

  it('compares what users write: server bookkeeping and status are ignored, Secret values never shown', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'd', resourceVersion: '7', uid: 'u', managedFields: [], labels: { a: '1' } },
      data: { k: 'v' },
    };
    assert.deepEqual(
      objectDiff('configmap/x', live as never, { ...live, metadata: { ...live.metadata, resourceVersion: '8' } } as never),
      [],
    );
    const changed = objectDiff('configmap/x', live as never, { ...live, data: { k: 'w' } } as never);
    assert.deepEqual(
      changed.filter((l) => /^[-+]/.test(l)),
      ['--- configmap/x (live)', '+++ configmap/x (after apply)', '-  k: v', '+  k: w'],
    );
    const secret = (v: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'd' },
      data: { key: Buffer.from(v).toString('base64') },
    });
    const s = objectDiff('secret/s', secret('hunter2') as never, secret('hunter3') as never).join('\n');
    assert.match(s, /^-  key: \(redacted, sha256:[0-9a-f]{12}\)$/m);
    assert.ok(!s.includes(Buffer.from('hunter2').toString('base64')) && !s.includes(Buffer.from('hunter3').toString('base64')));
    assert.match(objectDiff('configmap/x', undefined, live as never)[0], /does not exist/);
  });
});
