import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir } from '../../../src/binaries/build';
import { knownImageMappings, parseImage, resolveCommand, resolveImage, type BinaryResolver } from '../../../src/podrunner/images';

// A fake binary cache: what is "built" is explicit, so the tests don't depend on ~/.cache.
const built = new Set(['etcd@v3.5.35', 'etcdctl@v3.5.35', 'kube-apiserver@v1.33.13']);
const resolver: BinaryResolver = (component, version) =>
  built.has(`${component}@${version}`) ? `/bins/${component}/${version}/${component}` : undefined;

describe('podrunner image mapping', () => {
  it('parses repository and tag, ignoring digests and registry ports', () => {
    assert.deepEqual(parseImage('registry.k8s.io/etcd:3.5.35-0'), { repository: 'registry.k8s.io/etcd', tag: '3.5.35-0' });
    assert.deepEqual(parseImage('localhost:5000/kube-apiserver'), { repository: 'localhost:5000/kube-apiserver', tag: 'latest' });
    assert.deepEqual(parseImage('quay.io/coreos/etcd:v3.5.35@sha256:abc'), { repository: 'quay.io/coreos/etcd', tag: 'v3.5.35' });
  });

  it('maps etcd and Kubernetes images to the local builds of their version, from any registry', () => {
    for (const image of ['registry.k8s.io/etcd:3.5.35-0', 'quay.io/coreos/etcd:v3.5.35', 'etcd:3.5.35']) {
      const r = resolveImage(image, resolver);
      assert.ok(r.ok, image);
      assert.equal(r.binaries.etcd, '/bins/etcd/v3.5.35/etcd');
      assert.equal(r.binaries.etcdctl, '/bins/etcdctl/v3.5.35/etcdctl');
    }
    const api = resolveImage('registry.k8s.io/kube-apiserver:v1.33.13', resolver);
    assert.ok(api.ok && api.family.component === 'kube-apiserver');
  });

  it('explains a miss: unknown image (with the known mappings), unbuilt version, or bad tag', () => {
    const unknown = resolveImage('docker.io/library/nginx:1.27', resolver);
    assert.ok(!unknown.ok);
    assert.match(unknown.message, /nginx:1\.27 maps to no locally built binary/);
    assert.match(unknown.message, /<registry>\/etcd:3\.5\.35-0 or v3\.5\.35 → etcd v3\.5\.35/);
    assert.match(unknown.message, /kube-scheduler:<version> → kube-scheduler \(not built/);
    const unbuilt = resolveImage('registry.k8s.io/kube-apiserver:v1.32.13', resolver);
    assert.ok(!unbuilt.ok);
    assert.match(
      unbuilt.message,
      /no local build of kube-apiserver v1\.32\.13 \(built: v1\.33\.13; run `npm run setup:bins -- --only kube-apiserver --versions v1\.32\.13`\)/,
    );
    // An on-demand component (plain setup:bins skips OCM's): the hint names the exact build.
    const ocm = resolveImage('quay.io/open-cluster-management/registration:v1.0.0', () => undefined);
    assert.ok(!ocm.ok);
    assert.match(
      ocm.message,
      /no local build of registration v1\.0\.0 \(run `npm run setup:bins -- --only registration --versions v1\.0\.0`\)/,
    );
    const badTag = resolveImage('registry.k8s.io/etcd:latest', resolver);
    assert.ok(!badTag.ok && /not a etcd release version/.test(badTag.message));
  });

  it('lists one mapping per runnable component', () => {
    const lines = knownImageMappings(resolver);
    assert.ok(lines.some((l) => l.startsWith('<registry>/kube-apiserver:v1.33.13 → kube-apiserver v1.33.13')));
  });

  it('runs the kokpit-manager image of this version as this kokpit (bin/kokpit.js on this node, from the sources here)', () => {
    const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;
    const r = resolveImage(`kokpit.dev/kokpit-manager:${version}`, resolver);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal(r.binaries.kokpit, path.resolve('bin/kokpit.js'));
    assert.equal(r.binaries.node, process.execPath);
    assert.equal(resolveCommand('kokpit', r.binaries, r.family.component), path.resolve('bin/kokpit.js'));
    // These tests run the TypeScript sources, so the pod does too (not a dist/ bundle that may be stale).
    assert.equal(r.family.env?.KOKPIT_FROM_SOURCE, '1');
    // The operators' binaries (kwok, etcdutl) are this machine's builds, as the image would ship them.
    assert.equal(r.family.env?.KOKPIT_BIN_DIR, binDir());
    const other = resolveImage('registry.example/kokpit-manager:9.9.9', resolver);
    assert.ok(!other.ok);
    assert.match(
      other.message,
      new RegExp(`only this kokpit's own version runs as a process here \\(${version.replace(/\./g, '\\.')}\\), not 9\\.9\\.9`),
    );
  });

  it("resolves command[0] to the image's commands or a host shell", () => {
    const bins = { etcd: '/b/etcd', etcdctl: '/b/etcdctl' };
    assert.equal(resolveCommand(undefined, bins, 'etcd'), '/b/etcd');
    assert.equal(resolveCommand('/usr/local/bin/etcdctl', bins, 'etcd'), '/b/etcdctl');
    assert.equal(resolveCommand('nginx', bins, 'etcd'), undefined);
    assert.match(resolveCommand('sh', bins, 'etcd') ?? '', /\/sh$/);
  });
});
