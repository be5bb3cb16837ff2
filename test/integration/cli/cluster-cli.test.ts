// `kokpit addons`, `kokpit upgrade` and `kokpit kubeconfig --merge` through runCli, against the harness
// meta control plane (real etcd + kube-apiserver with kokpit's CRDs). No reconciler runs here: the
// upgrade's happy path against a real reconciler and pod runner is in test/integration/cluster/podrunner.test.ts;
// here the refusals, the spec change, timeouts and a failure verdict are checked on the real apiserver.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { API_VERSION } from '../../../src/api';
import { defaultAddons, defaultKubernetesVersions } from '../../../src/catalog';
import { setClusterVersion, upgradeCluster, UPGRADE_FIELD_MANAGER } from '../../../src/cli/commands/upgrade';
import { runCli } from '../../../src/cli/main';
import { applyObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { buildKubeconfig } from '../../../src/pki';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';

const NS = 'cli-it';

describe('kokpit cluster commands on a real meta control plane', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let dir: string;
  let meta: string[];

  before(async function () {
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    kc = cp.kubeConfig();
    await installCRDs(kc);
    const objects = makeObjectApi(kc);
    await applyObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const v of defaultKubernetesVersions()) await applyObject(objects, v as unknown as KubernetesObject);
    // A freshly installed CRD answers 429 while its storage initializes.
    await waitFor(
      'Addon API served',
      () =>
        listObjects(objects, API_VERSION, 'Addon').then(
          () => true,
          () => undefined,
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-cli-it-'));
    meta = ['--kubeconfig', cp.kubeconfigPath];
  });
  after(async () => {
    await cp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const progress: string[] = [];
    const code = await runCli(argv, {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      progress: (t) => progress.push(t),
      isTTY: false,
      cwd: dir,
    });
    return { code, out: out.join('\n'), err: err.join('\n'), progress };
  };
  const addonNames = async () => (await listObjects(makeObjectApi(kc), API_VERSION, 'Addon')).map((a) => a.metadata!.name!).sort();

  describe('addons import', () => {
    const addon = (name: string, version = '1.0.0', extra: Record<string, unknown> = {}) => ({
      apiVersion: API_VERSION,
      kind: 'Addon',
      metadata: { name },
      spec: {
        version,
        manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: kube-system\ndata:\n  v: "{{ .params.v }}"\n`,
        parameters: [{ name: 'v', type: 'string', default: 'x' }],
        ...extra,
      },
    });

    it('refuses the whole import when one document is invalid, naming file:line:column', async () => {
      fs.mkdirSync(path.join(dir, 'bad'));
      fs.writeFileSync(path.join(dir, 'bad', 'a.yaml'), stringify(addon('alpha')));
      fs.writeFileSync(path.join(dir, 'bad', 'b.yaml'), stringify(addon('beta', '1.0.0', { parameters: [{ name: 'v', type: 'colour' }] })));
      const r = await cli(['addons', 'import', 'bad', ...meta]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /^bad\/b\.yaml:\d+:\d+: .*colour/m);
      assert.match(r.err, /nothing imported/);
      assert.deepEqual(await addonNames(), [], 'not even the valid alpha was applied');
    });

    it('--dry-run reports without creating; then import creates, re-import is unchanged, a change is configured', async () => {
      fs.mkdirSync(path.join(dir, 'good'));
      fs.writeFileSync(path.join(dir, 'good', 'a.yaml'), stringify(addon('alpha')));
      fs.writeFileSync(path.join(dir, 'good', 'b.yml'), `${stringify(addon('beta'))}---\n${stringify(addon('gamma'))}`);
      fs.writeFileSync(path.join(dir, 'good', 'README.md'), 'not yaml: ignored');

      const dry = await cli(['addons', 'import', 'good', '--dry-run', ...meta]);
      assert.equal(dry.code, 0, dry.err);
      assert.deepEqual(dry.out.split('\n'), [
        'addon/alpha created (server dry run)',
        'addon/beta created (server dry run)',
        'addon/gamma created (server dry run)',
      ]);
      assert.deepEqual(await addonNames(), []);

      const first = await cli(['addons', 'import', 'good', ...meta]);
      assert.deepEqual(first.out.split('\n'), ['addon/alpha created', 'addon/beta created', 'addon/gamma created']);
      assert.deepEqual(await addonNames(), ['alpha', 'beta', 'gamma']);
      const rv = (await readObject(makeObjectApi(kc), { apiVersion: API_VERSION, kind: 'Addon', metadata: { name: 'alpha' } }))!.metadata!
        .resourceVersion;

      const again = await cli(['addons', 'import', 'good/a.yaml', 'good/b.yml', ...meta]);
      assert.deepEqual(again.out.split('\n'), ['addon/alpha unchanged', 'addon/beta unchanged', 'addon/gamma unchanged']);
      assert.equal(
        (await readObject(makeObjectApi(kc), { apiVersion: API_VERSION, kind: 'Addon', metadata: { name: 'alpha' } }))!.metadata!
          .resourceVersion,
        rv,
        'no write for an unchanged addon',
      );

      fs.writeFileSync(path.join(dir, 'good', 'a.yaml'), stringify(addon('alpha', '1.1.0')));
      const dryChange = await cli(['addons', 'import', 'good/a.yaml', '--dry-run', ...meta]);
      assert.equal(dryChange.out, 'addon/alpha configured (server dry run)');
      const changed = await cli(['addons', 'import', 'good/a.yaml', ...meta]);
      assert.equal(changed.out, 'addon/alpha configured');
      const live = await readObject<KubernetesObject & { spec: { version: string } }>(makeObjectApi(kc), {
        apiVersion: API_VERSION,
        kind: 'Addon',
        metadata: { name: 'alpha' },
      });
      assert.equal(live!.spec.version, '1.1.0');
    });

    it('--builtin imports the shipped definitions; list shows them all', async () => {
      const r = await cli(['addons', 'import', '--builtin', ...meta]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(
        r.out.split('\n'),
        defaultAddons().map((a) => `addon/${a.metadata.name} created`),
      );
      assert.equal(
        (await cli(['addons', 'import', '--builtin', ...meta])).out,
        defaultAddons()
          .map((a) => `addon/${a.metadata.name} unchanged`)
          .join('\n'),
      );
      const list = await cli(['addons', 'list', ...meta]);
      assert.equal(list.code, 0);
      assert.deepEqual(
        list.out
          .split('\n')
          .slice(1)
          .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
        [
          'alpha 1.1.0',
          'beta 1.0.0',
          'coredns ' + defaultAddons()[0].spec.version,
          'gamma 1.0.0',
          'kokpit-cni ' + defaultAddons()[2].spec.version,
          'konnectivity-agent ' + defaultAddons()[3].spec.version,
          'kube-proxy ' + defaultAddons()[1].spec.version,
        ],
      );
    });
  });

  describe('diff', () => {
    const alpha = (version: string) => ({
      apiVersion: API_VERSION,
      kind: 'Addon',
      metadata: { name: 'alpha' },
      spec: {
        version,
        manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alpha\n  namespace: kube-system\ndata:\n  v: "{{ .params.v }}"\n`,
        parameters: [{ name: 'v', type: 'string', default: 'x' }],
      },
    });
    const write = (name: string, docs: unknown[]) => {
      fs.writeFileSync(path.join(dir, name), docs.map((d) => stringify(d)).join('---\n'));
      return name;
    };

    it('no differences: exit 0', async () => {
      const r = await cli(['diff', '-f', write('same.yaml', [alpha('1.1.0')]), ...meta]);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.out, '');
      assert.equal(r.err, 'no differences (1 document)');
    });

    it('a changed field and a new object: exit 1, the diff shown, nothing changed on the server', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fresh', namespace: NS }, data: { a: 'b' } };
      const r = await cli(['diff', '-f', write('changed.yaml', [alpha('1.2.0'), cm]), ...meta]);
      assert.equal(r.code, 1, r.err);
      const lines = r.out.split('\n');
      assert.ok(lines.includes('--- addon/alpha (live)') && lines.includes('+++ addon/alpha (after apply)'), r.out);
      const alphaPart = lines.slice(lines.indexOf('--- addon/alpha (live)'), lines.indexOf('--- configmap/fresh (live): does not exist'));
      assert.deepEqual(
        alphaPart.filter((l) => /^[-+] /.test(l)),
        ['-  version: 1.1.0', '+  version: 1.2.0'],
      );
      assert.ok(lines.includes('--- configmap/fresh (live): does not exist'), r.out);
      assert.ok(lines.includes('+  a: b'), r.out);
      const live = await readObject<KubernetesObject & { spec: { version: string } }>(makeObjectApi(kc), {
        apiVersion: API_VERSION,
        kind: 'Addon',
        metadata: { name: 'alpha' },
      });
      assert.equal(live!.spec.version, '1.1.0', 'a dry run only');
      assert.equal(
        await readObject(makeObjectApi(kc), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fresh', namespace: NS } }),
        undefined,
      );
    });

    it('an invalid file or a rejected object: exit 2', async () => {
      const bad = await cli([
        'diff',
        '-f',
        write('bad.yaml', [{ ...alpha('1.0.0'), spec: { version: '1', manifests: '', parameters: [{ name: 'v', type: 'colour' }] } }]),
        ...meta,
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /^bad\.yaml:\d+:\d+: .*colour/m);
      const rejected = await cli([
        'diff',
        '-f',
        write('rejected.yaml', [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'no-such-ns' }, data: { a: 'b' } },
        ]),
        ...meta,
      ]);
      assert.equal(rejected.code, 2);
      assert.match(rejected.err, /ConfigMap no-such-ns\/x: .*not found/);
    });
  });

  describe('upgrade', () => {
    const bc = (name: string, version: string) =>
      applyObject(
        makeObjectApi(kc),
        {
          apiVersion: API_VERSION,
          kind: 'BusinessCluster',
          metadata: { name, namespace: NS },
          spec: { version, etcd: { clusterRef: { name: 'shared' } } },
        } as KubernetesObject,
        { fieldManager: 'kokpit-test' },
      );
    const read = (name: string) =>
      readObject<KubernetesObject & { spec: { version: string } }>(makeObjectApi(kc), {
        apiVersion: API_VERSION,
        kind: 'BusinessCluster',
        metadata: { name, namespace: NS },
      });

    it('refuses an unknown version and a downgrade with exit 1, changing nothing', async () => {
      await bc('old', 'v1.32.13');
      await applyStatus(
        kc,
        { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: 'old', namespace: NS } },
        'businessclusters',
        { version: 'v1.33.13' },
      );
      const unknown = await cli(['upgrade', 'old', '--to', 'v1.40.0', '-n', NS, ...meta]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /kokpit upgrade: version v1\.40\.0 is not in the version catalog; available: v1\.32\.13, v1\.33\.13/);
      const down = await cli(['upgrade', 'old', '--to', 'v1.32.13', '-n', NS, ...meta]);
      assert.equal(down.code, 1);
      assert.equal(down.err, 'kokpit upgrade: v1.32.13 is older than the v1.33.13 the cluster runs; downgrades are not supported');
      assert.equal((await read('old'))!.metadata!.generation, 1, 'spec untouched');
      const missing = await cli(['upgrade', 'nope', '--to', 'v1.33.13', '-n', NS, ...meta]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /no BusinessCluster cli-it\/nope/);
    });

    it('--no-wait sets spec.version under its own field manager and exits 0', async () => {
      await bc('quick', 'v1.32.13');
      const r = await cli(['upgrade', 'quick', '--to', 'v1.33.13', '-n', NS, '--no-wait', ...meta]);
      assert.equal(r.code, 0, r.err);
      const live = (await read('quick'))!;
      assert.equal(live.spec.version, 'v1.33.13');
      const owner = live.metadata!.managedFields!.find(
        (m) => JSON.stringify(m.fieldsV1).includes('"f:version"') && m.operation === 'Update',
      );
      assert.equal(owner?.manager, UPGRADE_FIELD_MANAGER);
      assert.deepEqual(r.progress, ['[0s] spec.version v1.32.13 → v1.33.13']);
    });

    it('the version write is guarded on spec.version only: a status write since the read is no conflict, a version change is', async () => {
      await bc('busy', 'v1.32.13');
      const ref = { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: 'busy', namespace: NS } };
      const seen = (await read('busy'))!;
      // The operator writes status after the CLI read the cluster (the kind e2e's upgrade once failed on this with 409).
      await applyStatus(kc, ref, 'businessclusters', { phase: 'Running', version: 'v1.32.13', observedGeneration: 1 });
      assert.notEqual((await read('busy'))!.metadata!.resourceVersion, seen.metadata!.resourceVersion);
      await setClusterVersion(kc, { namespace: NS, name: 'busy' }, seen.spec.version, 'v1.33.13');
      assert.equal((await read('busy'))!.spec.version, 'v1.33.13');
      // Someone else moved the version since: refused, nothing overwritten.
      await assert.rejects(
        setClusterVersion(kc, { namespace: NS, name: 'busy' }, 'v1.32.13', 'v1.34.0'),
        /changed meanwhile: spec\.version is now "v1\.33\.13" \(was "v1\.32\.13"\); nothing was changed/,
      );
      assert.equal((await read('busy'))!.spec.version, 'v1.33.13');
    });

    it('times out (exit 1) saying what it waited for, with progress lines as status changes', async () => {
      await bc('slow', 'v1.32.13');
      const ref = { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: 'slow', namespace: NS } };
      // Status as the operator writes it mid-upgrade (generation 2 not yet fully observed).
      const timer = setTimeout(() => {
        applyStatus(kc, ref, 'businessclusters', {
          phase: 'Upgrading',
          version: 'v1.32.13',
          observedGeneration: 1,
          upgrade: { from: 'v1.32.13', to: 'v1.33.13', step: 'kube-apiserver to v1.33.13' },
          conditions: [
            { type: 'Ready', status: 'False', reason: 'Upgrading', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' },
          ],
        }).catch(() => {});
      }, 1000);
      const r = await cli(['upgrade', 'slow', '--to', 'v1.33.13', '-n', NS, '--timeout', '4s', ...meta]);
      clearTimeout(timer);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        'kokpit upgrade: timed out after 4s waiting for status.version v1.33.13 (now v1.32.13); Ready=True (now False, Upgrading); ' +
          'observedGeneration 2 (now 1)',
      );
      assert.equal(r.progress[0], '[0s] spec.version v1.32.13 → v1.33.13');
      assert.ok(
        r.progress.some((l) => /^\[\d+s\] Upgrading · kube-apiserver to v1\.33\.13 · Ready=False$/.test(l)),
        r.progress.join('\n'),
      );
    });

    it('a refusal the operator reports for the new generation fails the command once it persists', async () => {
      await bc('refused', 'v1.32.13');
      const ref = { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: 'refused', namespace: NS } };
      const timer = setTimeout(() => {
        applyStatus(kc, ref, 'businessclusters', {
          conditions: [
            {
              type: 'CatalogValid',
              status: 'False',
              reason: 'NoIntermediateVersion',
              message: 'the catalog has no usable v1.33.x',
              observedGeneration: 2,
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        }).catch(() => {});
      }, 500);
      const r = await upgradeCluster({
        kc,
        name: 'refused',
        namespace: NS,
        to: 'v1.33.13',
        timeoutMs: 30_000,
        failAfterMs: 1000,
        pollMs: 200,
      });
      clearTimeout(timer);
      assert.equal(r.ok, false);
      assert.equal(r.message, 'upgrade to v1.33.13 failed: CatalogValid: the catalog has no usable v1.33.x');
      process.stderr.write(`  gave up after ${r.elapsedMs} ms (failAfter 1 s, timeout 30 s)\n`);
      assert.ok(r.elapsedMs < 25_000, `gave up after ${r.elapsedMs} ms, not at the 30 s timeout`);
    });
  });

  describe('kubeconfig --merge', () => {
    const CA = '-----BEGIN CERTIFICATE-----\nTUlJQ0FBQQ==\n-----END CERTIFICATE-----\n';
    const KEY = '-----BEGIN PRIVATE KEY-----\nU0VDUkVUS0VZTUFURVJJQUw=\n-----END PRIVATE KEY-----\n';
    const adminSecret = (server: string) =>
      applyObject(makeObjectApi(kc), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'biz-admin-kubeconfig', namespace: NS },
        data: {
          value: Buffer.from(
            buildKubeconfig({ clusterName: 'biz', server, caPem: CA, user: 'kubernetes-admin', clientCertPem: CA, clientKeyPem: KEY }),
          ).toString('base64'),
        },
      } as KubernetesObject);

    it(
      'adds kokpit/<ns>/<cluster> to an existing kubeconfig without touching other entries; ' + 'unchanged on repeat; updated in place',
      async () => {
        await applyObject(makeObjectApi(kc), {
          apiVersion: API_VERSION,
          kind: 'BusinessCluster',
          metadata: { name: 'biz', namespace: NS },
          spec: { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } } },
        } as KubernetesObject);
        await adminSecret('https://127.0.0.1:31001');
        const target = path.join(dir, 'user.kubeconfig');
        const mine = fs.readFileSync(cp.kubeconfigPath, 'utf8');
        fs.writeFileSync(target, mine, { mode: 0o644 });
        const before = parse(mine);

        const r = await cli(['kubeconfig', 'biz', '-n', NS, '--merge', '--kubeconfig-out', target, ...meta]);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, `context kokpit/${NS}/biz created in ${target}`);
        for (const t of [r.out, r.err, ...r.progress])
          assert.ok(!t.includes('PRIVATE KEY') && !t.includes('U0VDUkVU'), 'no key material printed');
        assert.equal(fs.statSync(target).mode & 0o777, 0o600);
        const after = parse(fs.readFileSync(target, 'utf8'));
        assert.equal(after['current-context'], before['current-context'], 'current-context kept');
        assert.deepEqual(after.clusters[0], before.clusters[0]);
        assert.deepEqual(after.users[0], before.users[0]);
        assert.deepEqual(
          after.contexts.map((c: { name: string }) => c.name),
          [...before.contexts.map((c: { name: string }) => c.name), `kokpit/${NS}/biz`],
        );
        assert.equal(after.clusters[1].cluster.server, 'https://127.0.0.1:31001');
        // The file still works for the meta cluster it held before.
        assert.equal(
          await runCli(['addons', 'list', '--kubeconfig', target], {
            out: () => {},
            err: () => {},
            progress: () => {},
            isTTY: false,
            cwd: dir,
          }),
          0,
        );

        const mtime = fs.statSync(target).mtimeMs;
        const again = await cli(['kubeconfig', 'biz', '-n', NS, '--merge', '--kubeconfig-out', target, ...meta]);
        assert.equal(again.out, `context kokpit/${NS}/biz unchanged in ${target}`);
        assert.equal(fs.statSync(target).mtimeMs, mtime, 'not rewritten');

        await adminSecret('https://127.0.0.1:31002');
        const moved = await cli(['kubeconfig', 'biz', '-n', NS, '--merge', '--kubeconfig-out', target, '--use', ...meta]);
        assert.equal(moved.out, `context kokpit/${NS}/biz updated in ${target} (current context)`);
        const last = parse(fs.readFileSync(target, 'utf8'));
        assert.equal(last.clusters.length, 2);
        assert.equal(last.clusters[1].cluster.server, 'https://127.0.0.1:31002');
        assert.equal(last['current-context'], `kokpit/${NS}/biz`);
      },
    );

    it('without --kubeconfig-out it writes the first $KUBECONFIG path', async () => {
      const target = path.join(dir, 'env.kubeconfig');
      const saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = [target, path.join(dir, 'second')].join(path.delimiter);
      try {
        const r = await cli(['kubeconfig', 'biz', '-n', NS, '--merge', ...meta]);
        assert.equal(r.out, `context kokpit/${NS}/biz created in ${target} (current context)`);
        assert.ok(fs.existsSync(target));
        assert.ok(!fs.existsSync(path.join(dir, 'second')));
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
      }
    });
  });
});
