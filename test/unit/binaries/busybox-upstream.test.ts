// The conformance image busybox:1.36.1-1 is upstream busybox built here (issue 20: Debian's patched ash drops the
// environment variable `data-1` two conformance tests read back). The script's download is checked against a pinned
// SHA-256 before anything is built or cached; a mirror serving other bytes is refused. The mirror here is a file://
// directory (curl reads it like the real one), so nothing leaves the machine and no build runs. The real build and the
// property it exists for (`sh -c env` keeps `data-1`) are checked by the script itself before it caches the binary;
// the conformance tests that need it: README, "Conformance".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.join(__dirname, '..', '..', '..', 'hack', 'offline-images', 'busybox-upstream.sh');

function run(cache: string, mirror: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [SCRIPT], {
    env: { ...process.env, KOKPIT_CACHE_DIR: cache, KOKPIT_DEBIAN_MIRROR: mirror },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hack/offline-images/busybox-upstream.sh (the conformance busybox image)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-busybox-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses a tarball that does not match the pinned SHA-256, and caches nothing', () => {
    const pool = path.join(tmp, 'mirror', 'pool', 'main', 'b', 'busybox');
    fs.mkdirSync(pool, { recursive: true });
    fs.writeFileSync(path.join(pool, 'busybox_1.37.0.orig.tar.bz2'), 'not busybox');
    const r = run(path.join(tmp, 'cache'), `file://${path.join(tmp, 'mirror')}`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /busybox_1\.37\.0\.orig\.tar\.bz2 does not match its pinned SHA-256/);
    assert.equal(r.stdout, '');
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'cache', 'images')), []);
  });

  it('says which mirror failed when the tarball is missing', () => {
    const r = run(path.join(tmp, 'cache'), `file://${path.join(tmp, 'empty')}`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot download busybox 1\.37\.0 from file:\/\//);
  });

  it('reuses a cached build without downloading', () => {
    const images = path.join(tmp, 'cache', 'images');
    fs.mkdirSync(images, { recursive: true });
    const cached = path.join(images, 'busybox-upstream-1.37.0');
    fs.writeFileSync(cached, '#!/bin/sh\n', { mode: 0o755 });
    const r = run(path.join(tmp, 'cache'), 'file:///nonexistent');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), cached);
  });

  it('is what the conformance image script builds busybox:1.36.1-1 from', () => {
    const images = fs.readFileSync(path.join(path.dirname(SCRIPT), 'conformance-images.sh'), 'utf8');
    const at = images.indexOf('UPSTREAM_BUSYBOX=$(bash "$HERE/busybox-upstream.sh")');
    assert.ok(at >= 0, 'conformance-images.sh runs busybox-upstream.sh');
    const block = images.slice(at);
    const image = block.slice(0, block.indexOf('CONFORMANCE_IMAGES='));
    assert.match(image, /^tag="\$E2E\/busybox:1\.36\.1-1"$/m);
    assert.match(image, /install -m 0755 "\$UPSTREAM_BUSYBOX" "\$d\/bin\/busybox"/);
    assert.doesNotMatch(image, /\$BUSYBOX\b/);
  });
});
